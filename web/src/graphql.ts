// Every operation is typed from ../schema.graphql (gql.tada; `npm run generate` writes graphql-env.d.ts).
import { initGraphQLTada } from 'gql.tada';
import type { introspection } from './graphql-env.d.ts';

export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: {
    ID: string;
    Decimal: string;
    DateTime: string;
    Date: string;
    Upload: File;
  };
}>();

export type { FragmentOf, ResultOf, VariablesOf } from 'gql.tada';
export { readFragment } from 'gql.tada';
