import { z } from 'zod';

/**
 * The shapes of `backends.md`. Unknown fields are dropped (a backend may add fields; the
 * gateway ignores what it does not know); a missing or mistyped known field makes the
 * answer unusable, which is the service's failure, not a crash.
 */
const id = z.union([z.string(), z.number().transform(String)]);

export const userSchema = z.object({
  id,
  name: z.string(),
  email: z.string(),
  role: z.string(),
  industryId: id
    .nullable()
    .optional()
    .transform((v) => v ?? null),
  createdAt: z.string().optional(),
});
export type User = z.infer<typeof userSchema>;

export const industrySchema = z.object({ id, name: z.string(), sector: z.string() });
export type Industry = z.infer<typeof industrySchema>;

export const jobSchema = z.object({
  id,
  industryId: id,
  title: z.string(),
  company: z.string(),
  postedAt: z.string(),
});
export type Job = z.infer<typeof jobSchema>;

export const commentSchema = z.object({ id, userId: id, body: z.string(), createdAt: z.string() });
export type Comment = z.infer<typeof commentSchema>;

export const npsScoreSchema = z.object({ userId: id, score: z.number().int(), respondedAt: z.string() });
export type NpsScore = z.infer<typeof npsScoreSchema>;

export const usersResponse = z.object({ users: z.array(userSchema) });
export const industriesResponse = z.object({ industries: z.array(industrySchema) });
export const jobsResponse = z.object({ jobs: z.array(jobSchema) });
export const commentsResponse = z.object({ comments: z.array(commentSchema) });
export const npsScoresResponse = z.object({ scores: z.array(npsScoreSchema) });
