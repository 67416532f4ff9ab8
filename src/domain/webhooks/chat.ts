/** How a delivery is written: signed Statuspage JSON, or a chat tool's own message. */
export type WebhookFormat = 'statuspage' | 'slack' | 'teams' | 'discord';

export const FORMATS: WebhookFormat[] = ['statuspage', 'slack', 'teams', 'discord'];

/** What a chat message shows: the status, the latest message, the affected components, a link. */
export interface ChatSummary {
  title: string;
  status: string;
  tone: 'ok' | 'minor' | 'major' | 'maint';
  message: string;
  components: string[];
  url: string;
  siteName: string;
  at: string;
}

/**
 * Recognises incoming-webhook URLs of chat tools: Slack (`hooks.slack.com/services/…`), Microsoft
 * Teams (`*.webhook.office.com/webhookb2/…`, the older `outlook.office.com/webhook/…`, and Power
 * Automate workflow URLs on `*.logic.azure.com` / `*.powerplatform.com`), Discord
 * (`discord.com/api/webhooks/…`). Anything else gets Statuspage JSON.
 */
export function detectFormat(url: URL): WebhookFormat {
  const host = url.hostname.toLowerCase();
  const path = url.pathname;
  if (
    (host === 'hooks.slack.com' || host === 'hooks.slack-gov.com') &&
    path.startsWith('/services/')
  )
    return 'slack';
  if (
    (host.endsWith('.webhook.office.com') && path.startsWith('/webhookb2/')) ||
    (host === 'outlook.office.com' && path.startsWith('/webhook/')) ||
    ((host.endsWith('.logic.azure.com') || host.endsWith('.powerplatform.com')) &&
      path.includes('/workflows/'))
  )
    return 'teams';
  if (
    ['discord.com', 'discordapp.com', 'canary.discord.com', 'ptb.discord.com'].includes(host) &&
    path.startsWith('/api/webhooks/')
  )
    return 'discord';
  return 'statuspage';
}

const COLOURS: Record<ChatSummary['tone'], { hex: string; int: number; teams: string }> = {
  ok: { hex: '#2f9e44', int: 0x2f9e44, teams: 'Good' },
  minor: { hex: '#f08c00', int: 0xf08c00, teams: 'Warning' },
  major: { hex: '#e03131', int: 0xe03131, teams: 'Attention' },
  maint: { hex: '#1c7ed6', int: 0x1c7ed6, teams: 'Accent' },
};

/** Slack mrkdwn treats `&`, `<` and `>` as control characters. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Slack Block Kit: header, status and components as fields, the message, a button to the page. */
export function slackMessage(s: ChatSummary) {
  const fields = [{ type: 'mrkdwn', text: `*Status*\n${slackEscape(s.status)}` }];
  if (s.components.length > 0) {
    fields.push({
      type: 'mrkdwn',
      text: `*Affected*\n${slackEscape(clip(s.components.join(', '), 1900))}`,
    });
  }
  return {
    text: slackEscape(clip(`[${s.status}] ${s.title} — ${s.siteName}`, 3000)),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(`${s.title}`, 150), emoji: false } },
      { type: 'section', fields },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: slackEscape(clip(s.message || '—', 2900)) },
      },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'View on the status page' },
            url: s.url,
          },
        ],
      },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `${slackEscape(s.siteName)} · ${s.at}` }],
      },
    ],
    attachments: [{ color: COLOURS[s.tone].hex, fallback: slackEscape(clip(s.message, 300)) }],
  };
}

/** A Microsoft Teams message with an Adaptive Card (what Teams workflows and webhooks accept). */
export function teamsMessage(s: ChatSummary) {
  const facts = [{ title: 'Status', value: s.status }];
  if (s.components.length > 0) facts.push({ title: 'Affected', value: s.components.join(', ') });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              text: s.title,
              weight: 'Bolder',
              size: 'Medium',
              wrap: true,
              color: COLOURS[s.tone].teams,
            },
            { type: 'FactSet', facts },
            { type: 'TextBlock', text: clip(s.message || '—', 4000), wrap: true },
            {
              type: 'TextBlock',
              text: `${s.siteName} · ${s.at}`,
              isSubtle: true,
              size: 'Small',
              wrap: true,
            },
          ],
          actions: [{ type: 'Action.OpenUrl', title: 'View on the status page', url: s.url }],
        },
      },
    ],
  };
}

/** A Discord embed: coloured by status; mentions are disabled so a message cannot ping anyone. */
export function discordMessage(s: ChatSummary) {
  const fields = [{ name: 'Status', value: clip(s.status, 1024), inline: true }];
  if (s.components.length > 0)
    fields.push({ name: 'Affected', value: clip(s.components.join(', '), 1024), inline: true });
  return {
    username: clip(s.siteName, 80),
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: clip(s.title, 256),
        url: s.url,
        description: clip(s.message || '—', 4096),
        color: COLOURS[s.tone].int,
        fields,
        timestamp: s.at,
        footer: { text: clip(s.siteName, 2048) },
      },
    ],
  };
}

/** The body a chat endpoint receives. */
export function chatBody(format: Exclude<WebhookFormat, 'statuspage'>, s: ChatSummary): unknown {
  switch (format) {
    case 'slack':
      return slackMessage(s);
    case 'teams':
      return teamsMessage(s);
    case 'discord':
      return discordMessage(s);
  }
}
