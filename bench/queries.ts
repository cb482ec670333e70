/** The GraphQL operations the benchmark sends, shared with the floor's equivalence test. */
export const DASHBOARD_QUERY =
  'query($id: ID!) { userDashboard(userId: $id) { user { id name email } industry { name } recentJobs { id title } comments { id body } nps { score } degraded } }';
export const USERS_QUERY = 'query($ids: [ID!]!) { users(ids: $ids) { id name industry { name } nps { score } comments(limit: 3) { id } } }';
/** S3 asks for this many users per query. */
export const S3_IDS = 50;
