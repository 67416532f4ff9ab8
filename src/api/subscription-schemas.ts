import { z } from 'zod';

const id = z.string().min(1).max(64);
const email = z.string().min(1, 'is required').max(320, 'must be at most 320 characters');

/** `POST /v1/subscriptions` (JSON or a form). */
export const subscribeBody = z
  .object({
    email,
    components: z.array(id).max(100).optional(),
    incident_id: id.optional(),
  })
  .strict();

/** The manage form: everything, or the components and groups chosen. */
export const manageForm = z.object({
  token: z.string().max(100),
  follows: z.enum(['all', 'components']),
  components: z.array(id).max(200).default([]),
});

/** `POST /v1/subscribers`: confirmed subscribers moved from another status page. */
export const importBody = z
  .object({
    subscribers: z
      .array(z.object({ email, components: z.array(id).max(200).optional() }).strict())
      .min(1, 'must list at least one subscriber')
      .max(10_000, 'at most 10,000 per call'),
  })
  .strict();

export const listSubscribersQuery = z
  .object({
    status: z.enum(['pending', 'confirmed', 'unsubscribed', 'suppressed']).optional(),
    component: id.optional(),
    incident_id: id.optional(),
    q: z.string().max(320).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    after: id.optional(),
  })
  .strict();
