import { graphql } from '../../graphql';

export const LoginMutation = graphql(`
  mutation Login($username: String!, $password: String!) {
    login(username: $username, password: $password) { token expiresAt user { id name } }
  }
`);

export const AgreementQuery = graphql(`
  query Agreement { registrationAgreement { version text } }
`);

export const RegisterMutation = graphql(`
  mutation Register($input: RegisterDeveloperInput!) {
    registerDeveloper(input: $input) { token user { id name } }
  }
`);
