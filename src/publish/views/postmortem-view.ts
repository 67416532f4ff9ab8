import type { PublicPostmortem } from '../../domain/postmortems/review.ts';
import { parseMessage, type Paragraph } from '../message.ts';
import { cleanText } from '../text.ts';

/** A published postmortem as the incident page shows it (its public form only). */
export interface PostmortemView {
  publishedAt: string;
  summary: Paragraph[];
  rootCause: Paragraph[];
  category: string | null;
  contributingFactors: string[];
  impact: Paragraph[];
  wentWell: string[];
  couldImprove: string[];
  actionItems: Array<{ title: string; priority: string; state: string }>;
}

const STATE_LABEL = { open: 'Planned', in_progress: 'In progress', done: 'Done' } as const;

export function postmortemView(postmortem: PublicPostmortem): PostmortemView {
  return {
    publishedAt: postmortem.published_at,
    summary: parseMessage(postmortem.summary),
    rootCause: parseMessage(postmortem.root_cause),
    category: postmortem.root_cause_category ? cleanText(postmortem.root_cause_category) : null,
    contributingFactors: postmortem.contributing_factors.map(cleanText),
    impact: parseMessage(postmortem.impact),
    wentWell: postmortem.what_went_well.map(cleanText),
    couldImprove: postmortem.what_could_improve.map(cleanText),
    actionItems: postmortem.action_items.map((item) => ({
      title: cleanText(item.title),
      priority: item.priority,
      state: STATE_LABEL[item.state],
    })),
  };
}
