// Pages for what went wrong: not found, refused, a form that did not come from the portal, and the portal's own
// failures (said plainly, with the details in the log only).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { csrfToken, sendPage } from '../context';
import { Layout } from '../views/layout';

export function messagePage(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  title: string,
  message: string,
): FastifyReply {
  const user = req.portalUser?.id;
  return sendPage(
    reply,
    <Layout title={title} {...(user ? { user, csrf: csrfToken(req, reply) } : {})}>
      <h1>{title}</h1>
      <p class="message" data-status-code={String(status)}>
        {message}
      </p>
      <p>
        <a href="/">Back to the requests</a>
      </p>
    </Layout>,
    status,
  );
}

export function notFoundPage(req: FastifyRequest, reply: FastifyReply, workflowId: string): FastifyReply {
  return messagePage(
    req,
    reply,
    404,
    'No such request',
    workflowId ? `There is no request with workflow id ${workflowId} here.` : 'Give a workflow id.',
  );
}
