// Builds the Lambda functions and API Gateway routes from lib/http/routes.json, the one route
// table the code also reads (the catch-all's 404/405). Every route is declared twice for the
// deployed HTTP API: `/x` as a normal httpApi event, and `/x/` as an extra AWS::ApiGatewayV2::Route
// on the same integration. (Declaring `/x/` as a second httpApi event crashes serverless-offline
// and, in `serverless package`, yields the same CloudFormation logical id, so one route silently
// replaces the other. Offline already matches `/x/` to `/x`.)
const routes = require('../lib/http/routes.json');

const logicalName = (name) =>
  name.charAt(0).toUpperCase() + name.slice(1).replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
const routeLogicalName = (route) =>
  route
    .replace(/[{}]/g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1).toLowerCase())
    .join('');

const functions = {};
const slashRoutes = {};
for (const [name, fn] of Object.entries(routes)) {
  functions[name] = {
    handler: fn.handler,
    events: fn.routes.map((route) => {
      const [method, path] = route.split(' ');
      return { httpApi: { method, path } };
    }),
    ...(fn.memorySize ? { memorySize: fn.memorySize } : {}),
    // V8's optimizing compiler off where it only adds to the tail (lib/jit.ts); never where bcrypt runs.
    ...(fn.turbofan === false ? { environment: { V8_TURBOFAN: 'false' } } : {}),
  };
  for (const route of fn.routes) {
    slashRoutes[`HttpApiRoute${routeLogicalName(route)}Slash`] = {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        ApiId: { Ref: 'HttpApi' },
        RouteKey: `${route}/`,
        Target: { 'Fn::Join': ['/', ['integrations', { Ref: `HttpApiIntegration${logicalName(name)}` }]] },
      },
    };
  }
}

// The catch-all: unknown paths (404), wrong methods (405 with Allow) and CORS preflights.
functions.notFound = { handler: 'functions/not-found.handler', events: [{ httpApi: '*' }] };

// Not HTTP: the retention job (lib/retention/prune.ts), hourly. Deletes go in bounded batches and
// the handler stops before the timeout; a run cut short continues at the next hour.
functions.scheduledPrune = {
  handler: 'functions/scheduled-prune.handler',
  events: [{ schedule: { rate: ['rate(1 hour)'], description: 'Retention: old security events and refresh tokens' } }],
  timeout: 300,
};

module.exports = { functions, slashRoutes };
