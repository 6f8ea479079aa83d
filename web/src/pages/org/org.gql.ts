import { graphql } from '../../graphql';

export const ChangePasswordMutation = graphql(`
  mutation ChangePassword($oldPassword: String!, $newPassword: String!) {
    changePassword(oldPassword: $oldPassword, newPassword: $newPassword)
  }
`);

export const OrgQuery = graphql(`
  query MyOrganization {
    me {
      id
      roles
      organization {
        id name creditCode legalRepresentative contactName contactPhone address materialsVerified createdAt agreementVersion
        attachments { id filename registrationKind url }
        users { id username name phone status roles }
        history { at by { id name username } changes { field label before after } }
      }
    }
  }
`);

export const UpdateOrgMutation = graphql(`
  mutation UpdateOrganization($input: UpdateOrganizationInput!) {
    updateOrganization(input: $input) {
      id name legalRepresentative contactName contactPhone address
      history { at by { id name username } changes { field label before after } }
    }
  }
`);

export const CreateUserMutation = graphql(`
  mutation CreateOrgUser($input: CreateOrgUserInput!) {
    createOrgUser(input: $input) { id username name phone status roles }
  }
`);

export const UpdateUserMutation = graphql(`
  mutation UpdateOrgUser($id: ID!, $input: UpdateOrgUserInput!) {
    updateOrgUser(id: $id, input: $input) { id username name phone status roles }
  }
`);

export const DeactivateUserMutation = graphql(`
  mutation DeactivateUser($id: ID!) { deactivateUser(id: $id) { id status } }
`);

export const ActivateUserMutation = graphql(`
  mutation ActivateUser($id: ID!) { activateUser(id: $id) { id status } }
`);
