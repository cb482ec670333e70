import type { Comment } from '../upstreams/index.js';
import { builder } from './builder.js';

export const CommentRef = builder.objectRef<Comment>('Comment').implement({
  description: 'A comment a user wrote (comment service).',
  fields: (t) => ({
    id: t.exposeID('id'),
    body: t.exposeString('body'),
    createdAt: t.exposeString('createdAt', { description: 'ISO-8601 UTC.' }),
  }),
});
