import { graphql } from '../graphql';

export const EstateBuildingsQuery = graphql(`
  query EstateBuildings($id: ID!) {
    estate(id: $id) {
      id
      name
      code
      buildings { id name status houseCount floorsAboveGround lockedBy { id number } }
    }
  }
`);

/** One building's 楼盘表 with everything the picker and the browse screen show: one round trip. */
export const FloorPlanQuery = graphql(`
  query FloorPlan($id: ID!) {
    building(id: $id) {
      id
      name
      houseCount depositDue depositPaid balance
      estate { id name }
      floorPlan {
        units
        floors {
          floor
          houses {
            id code unit floor roomNumber address status buildingArea salesStatus usage
            innerArea price realEstateUnitNumber hasElevator layout
            depositDue depositPaid unpaid balance
            owners { id name idType idNumber phone share }
            lockedBy { id number }
          }
        }
      }
    }
  }
`);
