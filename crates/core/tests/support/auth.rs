//! The sign-in test bench: a fake tenant on a manual clock, an in-memory keyring and a
//! [`SignIn`] pointed at the fake, shared by `auth.rs` and `auth_app.rs`.

use std::sync::Arc;

use stagebench_core::intune::auth::{
    MemoryKeyring, SecretKind, SecretStore, Session, SignIn, SignInMode, TenantSettings,
};
use stagebench_core::secret::SecretText;
use stagebench_core::testing::graph::{FakeGraph, GraphClock};
use time::OffsetDateTime;

pub const UPN: &str = "tech@contoso.onmicrosoft.com";
pub const TENANT: &str = "contoso.onmicrosoft.com";
pub const SECRET: &str = "Xq8~fake.client-secret_VALUE";

pub struct Bench {
    pub fake: FakeGraph,
    pub clock: GraphClock,
    pub keyring: MemoryKeyring,
    pub sign_in: SignIn,
}

pub async fn bench() -> Bench {
    let start = OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap();
    let clock = GraphClock::manual(start);
    let fake = FakeGraph::start_with_clock(clock.clone()).await.unwrap();
    let keyring = MemoryKeyring::new();
    let sign_in = SignIn::new(
        fake.endpoints(),
        Arc::new(keyring.clone()),
        Arc::new(clock.clone()),
    )
    .unwrap();
    Bench {
        fake,
        clock,
        keyring,
        sign_in,
    }
}

/// A fresh client id per test keeps keyring entries apart.
pub fn client_id() -> String {
    format!(
        "{:08x}-1111-4222-8333-{:012x}",
        rand::random::<u32>(),
        rand::random::<u64>() & 0xffff_ffff_ffff
    )
}

pub fn settings(mode: SignInMode) -> TenantSettings {
    TenantSettings::new(TENANT, &client_id(), mode).unwrap()
}

pub fn gaps(polls: &[OffsetDateTime]) -> Vec<i64> {
    polls
        .windows(2)
        .map(|w| (w[1] - w[0]).whole_seconds())
        .collect()
}

pub fn count(fake: &FakeGraph, request: &str) -> usize {
    fake.identity_requests()
        .iter()
        .filter(|r| r.as_str() == request)
        .count()
}

impl Bench {
    pub async fn device_code_session(&self) -> (TenantSettings, Session) {
        self.fake.approve_all_as(UPN, 0);
        let s = settings(SignInMode::DeviceCode);
        let session = self
            .sign_in
            .start_device_code(&s)
            .await
            .unwrap()
            .finish()
            .await
            .unwrap();
        (session.settings(), session)
    }

    pub async fn refresh_token(&self, s: &TenantSettings) -> Option<String> {
        self.keyring
            .get(&SecretKind::RefreshToken.name(&self.sign_in.endpoints().authority, s))
            .await
            .unwrap()
            .map(|t| t.expose().to_owned())
    }

    pub async fn graph_status(&self, token: &SecretText) -> u16 {
        let url = format!("{}/deviceManagement/managedDevices", self.fake.base_url());
        stagebench_core::intune::http_client()
            .unwrap()
            .get(url)
            .bearer_auth(token.expose())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}
