import autocannon, { type Context, type RawRequest, type Result } from 'autocannon';

export type ScenarioKind = 'post update' | 'get incident';

export interface Scenario {
  name: string;
  kind: ScenarioKind;
  connections: number;
  seconds: number;
  /** The incidents the requests are spread over, round-robin. */
  incidentIds: string[];
}

/**
 * What happened to each posted message, by its number: the status of its response, or nothing
 * when autocannon stopped before the response arrived (it drops connections at the deadline).
 */
export interface PostLedger {
  sent: number;
  outcomes: Map<number, number>;
}

export interface LoadResult {
  scenario: Scenario;
  autocannon: Result;
  /** Only for `post update`: one entry per message sent. */
  ledger: PostLedger | null;
}

let lastMessageNumber = 0;

/** A realistic update (about 200 characters), unique by its number so none repeats the last. */
export function updateMessage(n: number): string {
  return (
    'We are still seeing elevated error rates on the public API for a subset of requests. ' +
    'Engineers have isolated the affected replica and are moving traffic away from it. ' +
    `Next update in 30 minutes. (#${n})`
  );
}

/** The number `updateMessage` put in a message, or null for any other message. */
export function messageNumber(message: string): number | null {
  const match = /\(#(\d+)\)$/.exec(message);
  return match ? Number(match[1]) : null;
}

/** Runs one scenario with autocannon (in this process, the server being another one). */
export async function runLoad(
  baseUrl: string,
  token: string,
  scenario: Scenario,
): Promise<LoadResult> {
  const { incidentIds } = scenario;
  let turn = 0;
  const nextIncident = () => incidentIds[turn++ % incidentIds.length]!;
  const ledger: PostLedger | null =
    scenario.kind === 'post update' ? { sent: 0, outcomes: new Map() } : null;

  const request =
    ledger === null
      ? {
          method: 'GET',
          setupRequest: (req: RawRequest) => ({ ...req, path: `/v1/incidents/${nextIncident()}` }),
        }
      : {
          method: 'POST',
          // autocannon builds each request just before sending it, with a fresh context, and hands
          // that context back with the response: this is how a response is tied to its message.
          setupRequest: (req: RawRequest, context: Context) => {
            const n = ++lastMessageNumber;
            context.n = n;
            ledger.sent++;
            return {
              ...req,
              path: `/v1/incidents/${nextIncident()}/updates`,
              body: JSON.stringify({ message: updateMessage(n) }),
            };
          },
          onResponse: (status: number, _body: string, context: Context) => {
            ledger.outcomes.set(context.n as number, status);
          },
        };

  const result = await autocannon({
    url: baseUrl,
    connections: scenario.connections,
    duration: scenario.seconds,
    timeout: 10,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    requests: [request],
  });
  return { scenario, autocannon: result, ledger };
}
