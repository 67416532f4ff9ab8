// Statuspage's field lists (https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/
// and its v2 API): the shapes existing receivers and widgets read, checked by the webhook, JSON and
// end-to-end tests.
export const INCIDENT_FIELDS = [
  'id',
  'name',
  'status',
  'created_at',
  'updated_at',
  'monitoring_at',
  'resolved_at',
  'impact',
  'shortlink',
  'started_at',
  'page_id',
  'incident_updates',
  'components',
];
export const INCIDENT_UPDATE_FIELDS = [
  'id',
  'status',
  'body',
  'incident_id',
  'created_at',
  'updated_at',
  'display_at',
  'affected_components',
  'deliver_notifications',
];
export const COMPONENT_FIELDS = [
  'id',
  'name',
  'status',
  'created_at',
  'updated_at',
  'position',
  'description',
  'showcase',
  'start_date',
  'group_id',
  'page_id',
  'group',
  'only_show_if_degraded',
];
export const COMPONENT_UPDATE_FIELDS = [
  'created_at',
  'new_status',
  'old_status',
  'id',
  'component_id',
];

/** A scheduled maintenance: an incident's fields and its window. */
export const MAINTENANCE_FIELDS = [...INCIDENT_FIELDS, 'scheduled_for', 'scheduled_until'];
