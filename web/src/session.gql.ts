import { graphql } from './graphql';

export const MeQuery = graphql(`
  query Me {
    me { id username name roles organization { id name } }
  }
`);

export const LogoutMutation = graphql(`
  mutation Logout { logout }
`);
