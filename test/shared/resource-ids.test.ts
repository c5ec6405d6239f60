// Ops API ids in requests are held to the API's id alphabet: nothing that changes the path they are put in (a dot
// segment, a slash) or hides in a workflow id (control and bidirectional-override characters) gets through, and the
// client refuses a dot segment as a path parameter whatever calls it.
import { fillPath } from '../../src/ops-api/dialects/dialect';
import { offboardUserInput, rotateApiKeyInput, validate } from '../../src/shared/validation';

test('ids outside the API alphabet are refused, naming the field', () => {
  for (const bad of ['.', '..', 'a/b', 'u-1\u0000', 'u\u202Eexe', 'u 1', '-u1', 'u1.', '\u0661']) {
    const rotation = validate(rotateApiKeyInput, { ownerType: 'user', ownerId: bad });
    expect({ bad, ok: rotation.ok }).toEqual({ bad, ok: false });
    expect(!rotation.ok && rotation.problems.map((p) => p.field)).toEqual(['ownerId']);
    const offboarding = validate(offboardUserInput, { userId: bad });
    expect(!offboarding.ok && offboarding.problems[0]!.message).toMatch(/must be letters, digits/);
  }
  for (const good of ['u-1', '3f2a9c', 'sa_123', 'key.v2', 'A1']) {
    expect(validate(rotateApiKeyInput, { keyId: good }).ok).toBe(true);
  }
});

test('a dot segment is never put into an API path', () => {
  expect(fillPath('/api/v1/users/{userId}', { userId: 'u-1' }, 'getUser')).toBe('/api/v1/users/u-1');
  for (const dots of ['.', '..']) {
    expect(() => fillPath('/api/v1/users/{userId}', { userId: dots }, 'getUser')).toThrow(/dot segment/);
  }
});
