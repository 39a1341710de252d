//! A batch to export from: a staging-token profile whose token is good for 30 more days.

use stagebench_core::batch::{Batch, BatchOrigin, BatchSpec, ProfileFacts};
use stagebench_core::ids::BatchId;
use stagebench_core::stage::Flow;
use time::OffsetDateTime;

/// A new local batch named `name`, made now by "admin" for vendor "Acme".
pub fn staging_batch(name: &str) -> Batch {
    let now = OffsetDateTime::now_utc();
    Batch {
        id: BatchId::random(),
        spec: BatchSpec {
            name: name.to_owned(),
            profile: ProfileFacts {
                profile_id: "prof".into(),
                profile_name: "Staging".into(),
                flow: Flow::StagingToken,
                enrollment_mode: "corporateOwnedFullyManaged".into(),
                token_expires: Some(now + time::Duration::days(30)),
                wifi_ssid: None,
                carries_wifi_credentials: false,
                dem_account: None,
            },
            vendor: "Acme".into(),
            due: None,
            expected_count: None,
            expected_serials: vec![],
        },
        created_at: now,
        created_by: "admin".into(),
        origin: BatchOrigin::Local,
    }
}
