//! Batches the end-to-end stories put in the bench history before the app starts.

use stagebench_core::batch::{Batch, BatchOrigin, BatchSpec, ProfileFacts};
use stagebench_core::ids::BatchId;
use stagebench_core::stage::Flow;

/// A batch made on this bench for the "Warehouse staging" profile (staging token, fully
/// managed), its token expiring `expires_in_days` from now, expecting `serials`.
pub fn local_batch(name: &str, expires_in_days: i64, serials: &[&str]) -> Batch {
    let now = time::OffsetDateTime::now_utc();
    Batch {
        id: BatchId::random(),
        spec: BatchSpec {
            name: name.into(),
            profile: ProfileFacts {
                profile_id: String::new(),
                profile_name: "Warehouse staging".into(),
                flow: Flow::StagingToken,
                enrollment_mode: "corporateOwnedDedicatedDevice".into(),
                token_expires: Some(now + time::Duration::days(expires_in_days)),
                wifi_ssid: None,
                carries_wifi_credentials: false,
                dem_account: None,
            },
            vendor: "Acme Staging".into(),
            due: None,
            expected_count: None,
            expected_serials: serials.iter().map(|s| s.to_string()).collect(),
        },
        created_at: now,
        created_by: "admin@contoso.com".into(),
        origin: BatchOrigin::Local,
    }
}
