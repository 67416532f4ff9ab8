import { z } from 'zod';
import {
  actionItemPatchBody,
  digestsQuery,
  metricsQuery,
  postmortemBody,
  postmortemsQuery,
  addUpdateBody,
  auditQuery,
  createKeyBody,
  declareIncidentBody,
  editIncidentBody,
  errorResponse,
  incidentQuery,
  incidentResponse,
  listIncidentsQuery,
  renderTemplateBody,
  updateResponse,
} from './schemas.ts';
import { importBody, listSubscribersQuery, subscribeBody } from './subscription-schemas.ts';
import {
  cancelMaintenanceBody,
  createMaintenanceBody,
  editMaintenanceBody,
  listMaintenancesQuery,
  maintenanceResponse,
  maintenanceUpdateBody,
} from './schemas.ts';
import { webhookAdminBody, webhookListQuery } from './routes/webhooks.ts';

interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  /** The scope needed; `admin or executive` for executive content. */
  scope: 'read' | 'write' | 'admin' | 'admin or executive' | null;
  body?: z.ZodType;
  query?: z.ZodObject;
  response?: z.ZodType;
  status?: number;
  idempotent?: boolean;
  ifMatch?: boolean;
}

/** Every route of the management API. The request schemas are the ones that validate requests. */
export const OPERATIONS: Operation[] = [
  {
    method: 'post',
    path: '/v1/incidents',
    summary: 'Declare an incident with its first update',
    scope: 'write',
    body: declareIncidentBody,
    response: incidentResponse,
    status: 201,
    idempotent: true,
  },
  {
    method: 'get',
    path: '/v1/incidents',
    summary: 'List incidents, newest first, each with its latest update and update count',
    scope: 'read',
    query: listIncidentsQuery,
  },
  {
    method: 'get',
    path: '/v1/incidents/{id}',
    summary: 'One incident with its cadence and a page of its updates (newest first)',
    scope: 'read',
    query: incidentQuery,
    response: incidentResponse,
  },
  {
    method: 'patch',
    path: '/v1/incidents/{id}',
    summary: "Edit an incident's fields",
    scope: 'write',
    body: editIncidentBody,
    response: incidentResponse,
    ifMatch: true,
  },
  {
    method: 'post',
    path: '/v1/incidents/{id}/updates',
    summary: 'Post an update to the timeline',
    scope: 'write',
    body: addUpdateBody,
    response: updateResponse,
    status: 201,
    idempotent: true,
  },
  {
    method: 'get',
    path: '/v1/cadence',
    summary: 'When the next update is due for every open incident',
    scope: 'read',
  },
  { method: 'get', path: '/v1/templates', summary: 'List update templates', scope: 'read' },
  {
    method: 'post',
    path: '/v1/templates/{id}/render',
    summary: 'Render a template with variables (preview)',
    scope: 'read',
    body: renderTemplateBody,
  },
  {
    method: 'get',
    path: '/v1/components',
    summary: 'The component catalog with current status',
    scope: 'read',
  },
  {
    method: 'get',
    path: '/v1/audit',
    summary: 'The audit log, newest first',
    scope: 'admin',
    query: auditQuery,
  },
  {
    method: 'post',
    path: '/v1/keys',
    summary: 'Create an API key (the token is shown once; no Idempotency-Key: nothing stores it)',
    scope: 'admin',
    body: createKeyBody,
    status: 201,
  },
  {
    method: 'get',
    path: '/v1/keys',
    summary: 'List API keys (never their secrets)',
    scope: 'admin',
  },
  {
    method: 'delete',
    path: '/v1/keys/{id}',
    summary: 'Revoke an API key',
    scope: 'admin',
    status: 204,
  },
  {
    method: 'get',
    path: '/v1/subscribers',
    summary: 'Subscribers with counts by status; filters status, component, incident_id, q',
    scope: 'admin',
    query: listSubscribersQuery,
  },
  {
    method: 'post',
    path: '/v1/subscribers',
    summary:
      'Import confirmed subscribers (up to 10,000 per call); duplicates and suppressed skipped',
    scope: 'admin',
    body: importBody,
  },
  {
    method: 'delete',
    path: '/v1/subscribers/{id}',
    summary: 'Remove a subscriber',
    scope: 'admin',
    status: 204,
  },
  {
    method: 'post',
    path: '/v1/subscriptions',
    summary: 'Subscribe (double opt-in; JSON or a form); always 202 with the same body',
    scope: null,
    body: subscribeBody,
    status: 202,
  },
  {
    method: 'get',
    path: '/v1/subscriptions/confirm',
    summary: 'Confirm a subscription (`token`); an HTML page',
    scope: null,
  },
  {
    method: 'get',
    path: '/v1/subscriptions/manage',
    summary: 'The manage page (`token`): choose components or unsubscribe',
    scope: null,
  },
  {
    method: 'post',
    path: '/v1/subscriptions/manage',
    summary: 'Save preferences (form: token, follows, components)',
    scope: null,
  },
  {
    method: 'get',
    path: '/v1/subscriptions/unsubscribe',
    summary: 'The unsubscribe page (`token`), with a button',
    scope: null,
  },
  {
    method: 'post',
    path: '/v1/subscriptions/unsubscribe',
    summary: 'Unsubscribe (`token`); RFC 8058 one-click',
    scope: null,
  },
  {
    method: 'post',
    path: '/v1/webhooks/resend',
    summary: 'Resend events signed with the Svix scheme; bounces and complaints suppress',
    scope: null,
  },
  {
    method: 'put',
    path: '/v1/incidents/{id}/postmortem',
    summary:
      'Write the postmortem (action items without an id are new; those left out are removed)',
    scope: 'write',
    body: postmortemBody,
  },
  {
    method: 'get',
    path: '/v1/incidents/{id}/postmortem',
    summary: 'The postmortem with its timeline, review due time and public form',
    scope: 'read',
  },
  {
    method: 'patch',
    path: '/v1/incidents/{id}/postmortem/action-items/{item_id}',
    summary: 'Change one action item (state, owner, due date, priority, title)',
    scope: 'write',
    body: actionItemPatchBody,
  },
  {
    method: 'get',
    path: '/v1/postmortems',
    summary: 'Reviews and action items that are overdue (or due)',
    scope: 'read',
    query: postmortemsQuery,
  },
  {
    method: 'get',
    path: '/v1/metrics',
    summary: 'Incident response metrics of the incidents started in [from, to)',
    scope: 'read',
    query: metricsQuery,
  },
  {
    method: 'get',
    path: '/v1/digests/executive',
    summary: 'Preview the executive digest (HTML; JSON with Accept: application/json)',
    scope: 'admin or executive',
  },
  {
    method: 'post',
    path: '/v1/digests/executive/send',
    summary: 'Send the executive digest now',
    scope: 'admin or executive',
    status: 201,
    idempotent: true,
  },
  {
    method: 'get',
    path: '/v1/digests',
    summary: 'The executive digests sent, newest first',
    scope: 'admin or executive',
    query: digestsQuery,
  },
  {
    method: 'get',
    path: '/v1/digests/{id}',
    summary: 'One digest as sent, with its HTML, text and figures',
    scope: 'admin or executive',
  },
  {
    method: 'post',
    path: '/v1/maintenances',
    summary:
      'Schedule a maintenance (title, message or template, components, scheduled_for, scheduled_until, notify, auto_start, auto_complete)',
    scope: 'write',
    body: createMaintenanceBody,
    response: maintenanceResponse,
    status: 201,
    idempotent: true,
  },
  {
    method: 'get',
    path: '/v1/maintenances',
    summary: 'List maintenances, latest start first',
    scope: 'read',
    query: listMaintenancesQuery,
  },
  {
    method: 'get',
    path: '/v1/maintenances/{id}',
    summary: 'One maintenance with its updates (newest first)',
    scope: 'read',
    response: maintenanceResponse,
  },
  {
    method: 'patch',
    path: '/v1/maintenances/{id}',
    summary:
      'Edit or reschedule a maintenance (the calendar entry keeps its UID, SEQUENCE goes up)',
    scope: 'write',
    body: editMaintenanceBody,
    response: maintenanceResponse,
    ifMatch: true,
  },
  {
    method: 'post',
    path: '/v1/maintenances/{id}/updates',
    summary: 'Post an update; a status of in_progress, verifying or completed moves it',
    scope: 'write',
    body: maintenanceUpdateBody,
    status: 201,
    idempotent: true,
  },
  {
    method: 'post',
    path: '/v1/maintenances/{id}/cancel',
    summary: 'Cancel a maintenance that has not started (optional `message`)',
    scope: 'write',
    body: cancelMaintenanceBody,
    response: maintenanceResponse,
    idempotent: true,
  },
  {
    method: 'get',
    path: '/v1/webhooks',
    summary: 'Webhook and chat subscribers with their last delivery result and failure count',
    scope: 'admin',
    query: webhookListQuery,
  },
  {
    method: 'post',
    path: '/v1/webhooks',
    summary: 'Add a webhook or chat endpoint (trusted: active at once); the secret is shown once',
    scope: 'admin',
    body: webhookAdminBody,
    status: 201,
  },
  { method: 'get', path: '/v1/webhooks/{id}', summary: 'One webhook', scope: 'admin' },
  {
    method: 'delete',
    path: '/v1/webhooks/{id}',
    summary: 'Remove a webhook',
    scope: 'admin',
    status: 204,
  },
  {
    method: 'post',
    path: '/v1/webhooks/{id}/enable',
    summary: 'Re-enable a disabled webhook',
    scope: 'admin',
  },
  {
    method: 'post',
    path: '/v1/webhooks/{id}/rotate-secret',
    summary: 'Replace the signing secret (the new one is shown once)',
    scope: 'admin',
  },
  {
    method: 'get',
    path: '/v1/webhooks/{id}/deliveries',
    summary: "One webhook's last deliveries: status code, duration, error (`limit`)",
    scope: 'admin',
  },
  {
    method: 'get',
    path: '/v1/subscriptions/webhooks/confirm',
    summary: 'Confirm a webhook by its one-time `code` (the verification event’s confirm_url)',
    scope: null,
  },
  {
    method: 'post',
    path: '/v1/subscriptions/webhooks/confirm',
    summary: 'Confirm a webhook: `{"code": "…"}` from the verification event',
    scope: null,
  },
  {
    method: 'get',
    path: '/v1/subscriptions/webhooks/unsubscribe',
    summary: 'The webhook unsubscribe page (`token`, from meta.unsubscribe)',
    scope: null,
  },
  {
    method: 'post',
    path: '/v1/subscriptions/webhooks/unsubscribe',
    summary: 'Remove a webhook subscription (`token`)',
    scope: null,
  },
  { method: 'get', path: '/healthz', summary: 'Liveness and database reachability', scope: null },
  {
    method: 'get',
    path: '/readyz',
    summary:
      'Readiness: 200 once the database is migrated, the site exported and the scheduler and mailer run; 503 with the reasons otherwise',
    scope: null,
  },
];

function schemaOf(schema: z.ZodType, io: 'input' | 'output') {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
}

export function buildOpenApi(serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const parameters: unknown[] = [];
    for (const name of op.path.match(/\{(\w+)\}/g) ?? []) {
      parameters.push({
        name: name.slice(1, -1),
        in: 'path',
        required: true,
        schema: { type: 'string' },
      });
    }
    if (op.query) {
      for (const [name, field] of Object.entries(op.query.shape)) {
        parameters.push({
          name,
          in: 'query',
          required: false,
          schema: schemaOf(field as z.ZodType, 'input'),
        });
      }
    }
    if (op.idempotent) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: { type: 'string', maxLength: 255 },
        description: 'Retrying with the same key and body returns the first response.',
      });
    }
    if (op.ifMatch) {
      parameters.push({
        name: 'If-Match',
        in: 'header',
        required: true,
        schema: { type: 'string' },
        description:
          'The version this edit is based on (its ETag); a mismatch is a 409, none a 428.',
      });
    }
    const errors = Object.fromEntries(
      ['400', '401', '403', '404', '409', '413', '422', '428', '429'].map((code) => [
        code,
        {
          description: `error ${code}`,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      ]),
    );
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      summary: op.summary,
      security: op.scope ? [{ bearer: [] }] : [],
      'x-required-scope': op.scope,
      parameters,
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaOf(op.body, 'input') } },
            },
          }
        : {}),
      responses: {
        [String(op.status ?? 200)]: {
          description: 'success',
          ...(op.response
            ? { content: { 'application/json': { schema: schemaOf(op.response, 'output') } } }
            : {}),
        },
        ...(op.scope ? errors : {}),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Herald management API',
      version: '1',
      description:
        'Declare incidents, post updates, and read cadence. Authenticate with `Authorization: Bearer <key>`; scopes are read < write < admin; executive content (digests) needs admin or executive, an executive key otherwise reads like a read key.',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: schemaOf(errorResponse, 'output') },
    },
    paths,
  };
}
