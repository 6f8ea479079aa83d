import { graphql } from '../../graphql';

export const EstatesQuery = graphql(`
  query Estates($search: String) {
    estates(first: 100, filter: { search: $search }) {
      totalCount
      edges { node { id code name district address status houseCount depositDue depositPaid balance } }
    }
  }
`);

export const EstateQuery = graphql(`
  query Estate($id: ID!) {
    estate(id: $id) {
      id code name district address remark status depositTiming houseCount totalBuildingArea
      depositDue depositPaid balance
      bank { id name }
      buildings {
        id name address builtYear structure status houseCount depositDue depositPaid balance
        lockedBy { id number }
      }
    }
  }
`);

/** the estates a select offers: active ones of the viewer's organisation */
export const EstateOptionsQuery = graphql(`
  query EstateOptions {
    estates(first: 100, filter: { status: ACTIVE }) { edges { node { id name code } } }
  }
`);

export const BanksQuery = graphql(`
  query Banks { banks { id code name } }
`);
