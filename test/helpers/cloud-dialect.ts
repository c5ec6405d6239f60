// Set up before each suite of the jest project `cloud`: the stack helper then speaks the real API's dialect.
process.env.TEST_OPS_API_DIALECT = 'cloud';
