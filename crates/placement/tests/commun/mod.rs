//! Shared helpers of the tests: a tiny hand-written instance and file writing.
#![allow(dead_code)]

use std::path::Path;

use parcours_placement::Instance;

pub const COMMUNES: &str = "commune_id,kind,x_hm,y_hm,weight
C01,chef-lieu,0,0,40
C02,ville,30,40,10
C03,village,125,0,2
";

pub const PLACES: &str =
    "place_id,site_id,kind,commune_id,capacity,age_min,age_max,sex,meets,urgence,collective
P1,S1,AF,C01,2,0,17,X,,0,0
P2,S2,MECS,C02,2,6,17,X,T,0,1
P3,S2,MECS,C02,2,6,17,X,T,0,1
P4,S3,FOYER,C03,3,0,17,X,,1,1
";

pub const CHILDREN: &str =
    "child_id,group_id,age,sex,needs,home_commune,school_commune,urgency,current_place
E1,F1,4,F,,C01,C01,1,P1
E2,F2,8,M,,C02,C01,0,
E3,F2,10,F,,C02,C02,0,
E4,F3,12,M,,C01,C03,2,
E5,F4,3,M,,C01,C01,0,
";

pub fn petite() -> Instance {
    Instance::depuis_lecteurs(COMMUNES.as_bytes(), PLACES.as_bytes(), CHILDREN.as_bytes()).unwrap()
}

pub fn ecrire(dir: &Path, communes: &str, places: &str, children: &str) {
    std::fs::write(dir.join("communes.csv"), communes).unwrap();
    std::fs::write(dir.join("places.csv"), places).unwrap();
    std::fs::write(dir.join("children.csv"), children).unwrap();
}

pub fn place(inst: &Instance, id: &str) -> usize {
    inst.places.iter().position(|p| p.id == id).unwrap()
}
