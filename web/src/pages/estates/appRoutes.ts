// Where each application type is created and edited.
export const editPath: Record<string, string> = {
  ESTATE_COLLECTION: '/apply/collection',
  BUILDING_CHANGE: '/apply/building-change',
  HOUSE_SPLIT_MERGE: '/apply/split-merge',
  HOUSE_SUPPLEMENT: '/apply/supplement',
  HOUSE_INFO_CHANGE: '/apply/info-change',
  OWNERSHIP_CHANGE: '/apply/ownership',
  HOUSE_CANCELLATION: '/apply/cancellation',
};

/** the types whose houses come from an imported workbook */
export const importsHouses = new Set(['ESTATE_COLLECTION', 'HOUSE_SUPPLEMENT', 'HOUSE_SPLIT_MERGE']);
