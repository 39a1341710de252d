//! A bench's tenant settings: which tenant, which app registration, and how the bench signs in.
//! Nothing here is secret (the store keeps it in SQLite as a plain [`TenantRow`], read and
//! written through [`TenantStore`]); the secrets that go with a mode live in the OS keyring
//! (see [`super::SecretStore`]).

use std::path::PathBuf;

use serde::Serialize;

use crate::intune::SignInError;
use crate::store::{Store, StoreError, TenantRow};

/// How the bench gets its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SignInMode {
    /// Delegated: a technician signs in with the device code flow; the refresh token is kept in
    /// the keyring.
    DeviceCode,
    /// App-only (client credentials) with a client secret kept in the keyring.
    ClientSecret,
    /// App-only (client credentials) with a certificate: a JWT client assertion signed by its key.
    Certificate(CertificateSource),
}

impl SignInMode {
    /// The short name stored and shown: `device-code`, `client-secret` or `certificate`.
    pub fn name(&self) -> &'static str {
        match self {
            SignInMode::DeviceCode => "device-code",
            SignInMode::ClientSecret => "client-secret",
            SignInMode::Certificate(_) => "certificate",
        }
    }

    /// Whether tokens are the app's own (client credentials) rather than a technician's.
    pub fn is_app_only(&self) -> bool {
        !matches!(self, SignInMode::DeviceCode)
    }
}

/// Where the certificate and its private key are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateSource {
    /// PEM files the admin looks after; read at every token request, never copied.
    Files {
        /// The certificate (PEM).
        certificate: PathBuf,
        /// Its private key (PEM, PKCS#8 or PKCS#1, unencrypted).
        private_key: PathBuf,
    },
    /// Imported: the certificate (public) is kept with the settings, its private key in the
    /// OS keyring.
    Imported {
        /// The certificate (PEM).
        certificate_pem: String,
    },
}

/// One bench's sign-in settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantSettings {
    /// The tenant: its id (a GUID) or a verified domain (`contoso.onmicrosoft.com`).
    pub tenant: String,
    /// The app registration's Application (client) ID.
    pub client_id: String,
    /// How the bench signs in.
    pub mode: SignInMode,
    /// Who is signed in (UPN, or the client id for app-only), `None` when signed out.
    pub account: Option<String>,
}

impl TenantSettings {
    /// Checked settings, nobody signed in yet. Tenant and client id are trimmed; a domain is
    /// lower-cased.
    pub fn new(
        tenant: &str,
        client_id: &str,
        mode: SignInMode,
    ) -> Result<TenantSettings, SignInError> {
        Ok(TenantSettings {
            tenant: check_tenant(tenant)?,
            client_id: check_client_id(client_id)?,
            mode,
            account: None,
        })
    }
}

/// The bench's tenant settings as the store keeps them.
pub trait TenantStore {
    /// The bench's tenant settings, or `None` before the first sign-in. A stored row that no
    /// longer passes the checks is reported, not guessed at.
    fn tenant_settings(&self) -> Result<Option<TenantSettings>, StoreError>;

    /// Stores the bench's tenant settings, replacing earlier ones.
    fn set_tenant_settings(&mut self, settings: &TenantSettings) -> Result<(), StoreError>;
}

impl TenantStore for Store {
    fn tenant_settings(&self) -> Result<Option<TenantSettings>, StoreError> {
        let row = self.tenant_row()?;
        row.map(from_row).transpose().map_err(|why| {
            self.unreadable(format!(
                "tenant_settings: {why}; sign in again to replace them"
            ))
        })
    }

    fn set_tenant_settings(&mut self, settings: &TenantSettings) -> Result<(), StoreError> {
        self.set_tenant_row(&to_row(settings))
    }
}

/// A stored row as settings, checked.
fn from_row(row: TenantRow) -> Result<TenantSettings, String> {
    let mode = match (
        row.mode.as_str(),
        row.certificate_path,
        row.private_key_path,
        row.certificate_pem,
    ) {
        ("device-code", ..) => SignInMode::DeviceCode,
        ("client-secret", ..) => SignInMode::ClientSecret,
        ("certificate", Some(c), Some(k), None) => {
            SignInMode::Certificate(CertificateSource::Files {
                certificate: PathBuf::from(c),
                private_key: PathBuf::from(k),
            })
        }
        ("certificate", None, None, Some(pem)) => {
            SignInMode::Certificate(CertificateSource::Imported {
                certificate_pem: pem,
            })
        }
        (other, ..) => return Err(format!("unknown sign-in mode {other:?}")),
    };
    Ok(TenantSettings {
        tenant: check_tenant(&row.tenant).map_err(|e| e.to_string())?,
        client_id: check_client_id(&row.client_id).map_err(|e| e.to_string())?,
        mode,
        account: row.account,
    })
}

fn to_row(s: &TenantSettings) -> TenantRow {
    let (certificate_path, private_key_path, certificate_pem) = match &s.mode {
        SignInMode::Certificate(CertificateSource::Files {
            certificate,
            private_key,
        }) => (
            Some(certificate.to_string_lossy().into_owned()),
            Some(private_key.to_string_lossy().into_owned()),
            None,
        ),
        SignInMode::Certificate(CertificateSource::Imported { certificate_pem }) => {
            (None, None, Some(certificate_pem.clone()))
        }
        _ => (None, None, None),
    };
    TenantRow {
        tenant: s.tenant.clone(),
        client_id: s.client_id.clone(),
        mode: s.mode.name().to_owned(),
        certificate_path,
        private_key_path,
        certificate_pem,
        account: s.account.clone(),
    }
}

/// Checks a tenant: a GUID (the Directory (tenant) ID) or a domain name. Returns it trimmed,
/// GUIDs and domains lower-cased.
pub fn check_tenant(tenant: &str) -> Result<String, SignInError> {
    let t = tenant.trim().to_ascii_lowercase();
    if is_guid(&t) {
        return Ok(t);
    }
    if matches!(t.as_str(), "common" | "organizations" | "consumers") {
        return Err(SignInError::Config(format!(
            "the tenant must be your organization's own, not {t:?}: give its Directory (tenant) ID or a domain such as contoso.onmicrosoft.com"
        )));
    }
    let labels: Vec<&str> = t.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if t.len() <= 253 && labels.len() >= 2 && labels.iter().all(label_ok) {
        return Ok(t);
    }
    Err(SignInError::Config(format!(
        "{:?} is not a tenant: give the Directory (tenant) ID (a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47) or a domain such as contoso.onmicrosoft.com",
        tenant.trim()
    )))
}

/// Checks an Application (client) ID: a GUID. Returns it trimmed and lower-cased.
pub fn check_client_id(client_id: &str) -> Result<String, SignInError> {
    let c = client_id.trim().to_ascii_lowercase();
    if is_guid(&c) {
        Ok(c)
    } else {
        Err(SignInError::Config(format!(
            "{:?} is not a client id: give the app registration's Application (client) ID, a GUID like 00000000-1111-2222-3333-444444444444 (Entra admin center → App registrations → Overview)",
            client_id.trim()
        )))
    }
}

/// `8-4-4-4-12` hex digits.
pub fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_are_guids_or_domains() {
        assert_eq!(
            check_tenant(" 72F988BF-86f1-41af-91ab-2d7cd011db47 ").unwrap(),
            "72f988bf-86f1-41af-91ab-2d7cd011db47"
        );
        assert_eq!(
            check_tenant("Contoso.onmicrosoft.com").unwrap(),
            "contoso.onmicrosoft.com"
        );
        assert_eq!(
            check_tenant("bench-1.contoso.co.uk").unwrap(),
            "bench-1.contoso.co.uk"
        );
        for bad in [
            "",
            "contoso",
            "-x.com",
            "a..b",
            "con toso.com",
            "https://login.microsoftonline.com/x",
            "72f988bf-86f1-41af-91ab",
        ] {
            let e = check_tenant(bad).unwrap_err().to_string();
            assert!(
                e.contains("tenant") && e.contains("contoso.onmicrosoft.com"),
                "{bad}: {e}"
            );
        }
        assert!(check_tenant("organizations")
            .unwrap_err()
            .to_string()
            .contains("your organization's own"));
    }

    #[test]
    fn client_ids_are_guids() {
        assert_eq!(
            check_client_id("00000000-1111-2222-3333-44444444444A").unwrap(),
            "00000000-1111-2222-3333-44444444444a"
        );
        for bad in [
            "",
            "my-app",
            "00000000-1111-2222-3333-4444444444",
            "0000000g-1111-2222-3333-444444444444",
        ] {
            let e = check_client_id(bad).unwrap_err().to_string();
            assert!(e.contains("Application (client) ID"), "{bad}: {e}");
        }
        let s = TenantSettings::new(
            "contoso.com",
            "00000000-1111-2222-3333-444444444444",
            SignInMode::DeviceCode,
        )
        .unwrap();
        assert_eq!(s.account, None);
        assert!(!s.mode.is_app_only() && SignInMode::ClientSecret.is_app_only());
    }

    const CLIENT: &str = "00000000-1111-2222-3333-444444444444";

    #[test]
    fn settings_round_trip_in_every_mode_and_replace_each_other() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.tenant_settings().unwrap(), None);
        let modes = [
            SignInMode::DeviceCode,
            SignInMode::ClientSecret,
            SignInMode::Certificate(CertificateSource::Files {
                certificate: "/etc/sb/cert.pem".into(),
                private_key: "/etc/sb/key.pem".into(),
            }),
            SignInMode::Certificate(CertificateSource::Imported {
                certificate_pem: "-----BEGIN CERTIFICATE-----\n…".into(),
            }),
        ];
        for (i, mode) in modes.into_iter().enumerate() {
            let mut s = TenantSettings::new("contoso.onmicrosoft.com", CLIENT, mode).unwrap();
            s.account = (i % 2 == 0).then(|| "tech@contoso.com".to_owned());
            store.set_tenant_settings(&s).unwrap();
            assert_eq!(store.tenant_settings().unwrap(), Some(s));
        }
    }

    #[test]
    fn a_damaged_row_is_reported_with_the_next_step() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .set_tenant_row(&TenantRow {
                tenant: "contoso".into(),
                client_id: CLIENT.into(),
                mode: "device-code".into(),
                certificate_path: None,
                private_key_path: None,
                certificate_pem: None,
                account: None,
            })
            .unwrap();
        let e = store.tenant_settings().unwrap_err().to_string();
        assert!(
            e.contains("tenant_settings") && e.contains("sign in again"),
            "{e}"
        );
    }
}
