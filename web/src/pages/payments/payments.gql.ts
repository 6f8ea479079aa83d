import { graphql } from '../../graphql';
import { JobFields } from '../estates/applications.gql';


export const NoticesQuery = graphql(`
  query Notices($filter: PaymentNoticeFilter, $after: String) {
    paymentNotices(first: 20, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id number type payerKind payerName total status issuedAt paidAt bankName bankAccount estate { id name } building { id name } document { id url } } }
    }
  }
`);

export const IssueBuildingNotices = graphql(`
  mutation IssueBuildingNotices($buildingIds: [ID!]!) {
    issueBuildingNotices(buildingIds: $buildingIds) { id number total payerName building { id name } }
  }
`);

export const IssueOwnerNotices = graphql(`
  mutation IssueOwnerNotices($items: [OwnerNoticeItemInput!]!) {
    issueOwnerNotices(items: $items) { id number total payerName }
  }
`);

export const IssueCustomNotices = graphql(`
  mutation IssueCustomNotices($input: CustomNoticesInput!) {
    issueCustomNotices(input: $input) { id number total payerName }
  }
`);

export const PrintNotices = graphql(`
  mutation PrintNotices($ids: [ID!]!) {
    printPaymentNotices(ids: $ids) { id status progress }
  }
`);

export const CancelNotice = graphql(`
  mutation CancelNotice($id: ID!) {
    cancelPaymentNotice(id: $id) { id status }
  }
`);

export const ExportRenewal = graphql(`
  mutation ExportRenewal($estateId: ID!, $houseIds: [ID!]) {
    exportRenewalAmounts(estateId: $estateId, houseIds: $houseIds) { id status }
  }
`);

export const ImportAmounts = graphql(`
  mutation ImportAmounts($estateId: ID!, $type: PaymentType!, $file: Upload!) {
    importCustomAmounts(estateId: $estateId, type: $type, file: $file) { id status }
  }
`);

export const AmountJob = graphql(`
  subscription AmountJob($id: ID!) {
    jobUpdated(id: $id) { ...JobFields paymentNotices { id number total payerName } }
  }
`, [JobFields]);
