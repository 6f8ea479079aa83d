import { graphql } from '../../graphql';

// The selections several operations share, as fragments (unmasked: the pages read the fields
// where the operation puts them).

/** what a page needs of an application it has just created or saved: where to go, and whether
 * 保存并提交 must ask for the 退款账户 first (and for how much) */
export const SavedApplication = graphql(`
  fragment SavedApplication on Application @_unmask { id number status needsRefundAccount depositImpact { refund } }
`);

export const HouseSnapshotFields = graphql(`
  fragment HouseSnapshotFields on HouseSnapshot @_unmask {
    code buildingName unit floor roomNumber address usage buildingArea innerArea price salesStatus
    realEstateUnitNumber hasElevator layout owners { name idType idNumber phone share }
  }
`);

export const JobFields = graphql(`
  fragment JobFields on Job @_unmask {
    id status progress processed total message errors { row column code message } result { id url filename }
  }
`);

/** what changes when a clerk acts: read by the page and by applicationStatusChanged alike */
export const ApplicationProgress = graphql(`
  fragment ApplicationProgress on Application @_unmask {
    id status submittedAt decidedAt reviewComment
    form { id url filename }
    formJob { id status message }
    history { at status comment by { name } }
    refunds { id amount status house { code } form { id url } }
    paymentNotices { id number total status }
  }
`);

export const ApplicationsQuery = graphql(`
  query Applications($filter: ApplicationFilter, $after: String) {
    applications(first: 20, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id number type status createdAt submittedAt decidedAt houseChangeCount reviewComment
          estate { id name }
          createdBy { id name }
        }
      }
    }
  }
`);


export const ApplicationQuery = graphql(`
  query Application($id: ID!) {
    application(id: $id) {
      ...ApplicationProgress
      ...SavedApplication
      type reason createdAt
      estate { id name code district address remark depositTiming status bank { id name } }
      createdBy { id name }
      houseChangeCount
      houseChanges(first: 300) {
        before { ...HouseSnapshotFields }
        after { ...HouseSnapshotFields }
        house { id code }
      }
      buildingChanges {
        building { id name }
        before { name address builtYear structure }
        after { name address builtYear structure }
      }
      attachments { id filename sizeBytes url }
      importJob { ...JobFields }
    }
  }
`, [ApplicationProgress, SavedApplication, HouseSnapshotFields, JobFields]);

export const ApplicationStatusSubscription = graphql(`
  subscription ApplicationStatus($applicationId: ID) {
    applicationStatusChanged(applicationId: $applicationId) {
      from
      event { at status comment by { name } }
      application { ...ApplicationProgress }
    }
  }
`, [ApplicationProgress]);

export const SubmitMutation = graphql(`
  mutation Submit($id: ID!, $refundAccount: RefundAccountInput) {
    submitApplication(id: $id, refundAccount: $refundAccount) { ...ApplicationProgress }
  }
`, [ApplicationProgress]);

export const WithdrawMutation = graphql(`
  mutation Withdraw($id: ID!) {
    withdrawApplication(id: $id) { ...ApplicationProgress }
  }
`, [ApplicationProgress]);

export const CreateCollectionMutation = graphql(`
  mutation CreateCollection($input: EstateCollectionInput!) {
    createEstateCollection(input: $input) { ...SavedApplication }
  }
`, [SavedApplication]);

export const UpdateCollectionMutation = graphql(`
  mutation UpdateCollection($id: ID!, $input: EstateCollectionInput!) {
    updateEstateCollection(id: $id, input: $input) { id number status estate { id name district address remark depositTiming bank { id name } } }
  }
`);

export const ImportHousesMutation = graphql(`
  mutation ImportHouses($applicationId: ID!, $file: Upload!) {
    importHouses(applicationId: $applicationId, file: $file) { id status progress processed total }
  }
`);

export const JobSubscription = graphql(`
  subscription JobUpdated($id: ID!) {
    jobUpdated(id: $id) { ...JobFields }
  }
`, [JobFields]);

export const AddAttachmentMutation = graphql(`
  mutation AddAttachment($applicationId: ID!, $file: Upload!) {
    addAttachment(applicationId: $applicationId, file: $file) { id filename sizeBytes url }
  }
`);

export const RemoveAttachmentMutation = graphql(`
  mutation RemoveAttachment($applicationId: ID!, $documentId: ID!) {
    removeAttachment(applicationId: $applicationId, documentId: $documentId) { id attachments { id filename sizeBytes url } }
  }
`);

export const HouseInfoChangeMutation = graphql(`
  mutation HouseInfoChange($input: HouseInfoChangeInput!) {
    createHouseInfoChange(input: $input) { ...SavedApplication }
  }
`, [SavedApplication]);
export const UpdateHouseInfoChangeMutation = graphql(`
  mutation UpdateHouseInfoChange($id: ID!, $input: HouseInfoChangeInput!) {
    updateHouseInfoChange(id: $id, input: $input) { ...SavedApplication }
  }
`, [SavedApplication]);
export const OwnershipChangeMutation = graphql(`
  mutation OwnershipChange($input: OwnershipChangeInput!) {
    createOwnershipChange(input: $input) { ...SavedApplication }
  }
`, [SavedApplication]);
export const UpdateOwnershipChangeMutation = graphql(`
  mutation UpdateOwnershipChange($id: ID!, $input: OwnershipChangeInput!) {
    updateOwnershipChange(id: $id, input: $input) { ...SavedApplication }
  }
`, [SavedApplication]);
export const SplitMergeMutation = graphql(`
  mutation SplitMerge($input: HouseSplitMergeInput!) {
    createHouseSplitMerge(input: $input) { ...SavedApplication }
  }
`, [SavedApplication]);
export const UpdateSplitMergeMutation = graphql(`
  mutation UpdateSplitMerge($id: ID!, $input: HouseSplitMergeInput!) {
    updateHouseSplitMerge(id: $id, input: $input) { ...SavedApplication }
  }
`, [SavedApplication]);
export const CancellationMutation = graphql(`
  mutation Cancellation($input: HouseCancellationInput!) {
    createHouseCancellation(input: $input) { ...SavedApplication }
  }
`, [SavedApplication]);
export const UpdateCancellationMutation = graphql(`
  mutation UpdateCancellation($id: ID!, $input: HouseCancellationInput!) {
    updateHouseCancellation(id: $id, input: $input) { ...SavedApplication }
  }
`, [SavedApplication]);
export const BuildingChangeMutation = graphql(`
  mutation BuildingChange($input: BuildingChangeInput!) {
    createBuildingChange(input: $input) { ...SavedApplication }
  }
`, [SavedApplication]);
export const UpdateBuildingChangeMutation = graphql(`
  mutation UpdateBuildingChange($id: ID!, $input: BuildingChangeInput!) {
    updateBuildingChange(id: $id, input: $input) { ...SavedApplication }
  }
`, [SavedApplication]);
export const SupplementMutation = graphql(`
  mutation Supplement($input: HouseSupplementInput!) {
    createHouseSupplement(input: $input) { ...SavedApplication }
  }
`, [SavedApplication]);
export const UpdateEstateMutation = graphql(`
  mutation UpdateEstate($id: ID!, $input: UpdateEstateInput!) {
    updateEstate(id: $id, input: $input) { id address remark }
  }
`);
