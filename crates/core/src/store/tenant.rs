//! The `tenant_settings` table: one row, the bench's tenant, app registration and sign-in mode
//! ([`TenantSettings`]), and who signed in. Nothing secret: refresh tokens, client secrets and
//! imported private keys are in the OS keyring (`intune::auth`), and the certificate kept here
//! for an imported certificate is its public half.

use std::path::PathBuf;

use rusqlite::{params, Connection, OptionalExtension};

use super::{Store, StoreError};
use crate::intune::auth::settings::{check_client_id, check_tenant};
use crate::intune::auth::{CertificateSource, SignInMode, TenantSettings};

/// Schema version 6: tenant settings (at most one row).
pub(super) const SCHEMA: &str = "
CREATE TABLE tenant_settings (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    tenant           TEXT NOT NULL CHECK (tenant <> ''),
    client_id        TEXT NOT NULL CHECK (client_id <> ''),
    mode             TEXT NOT NULL CHECK (mode IN ('device-code', 'client-secret', 'certificate')),
    certificate_path TEXT,
    private_key_path TEXT,
    certificate_pem  TEXT,
    account          TEXT,
    updated          TEXT NOT NULL,
    CHECK (mode = 'certificate' OR (certificate_path IS NULL AND private_key_path IS NULL AND certificate_pem IS NULL)),
    CHECK (mode <> 'certificate' OR (certificate_path IS NOT NULL AND private_key_path IS NOT NULL) <> (certificate_pem IS NOT NULL))
) STRICT;
";

type Row = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn get(conn: &Connection) -> rusqlite::Result<Option<Row>> {
    conn.query_row(
        "SELECT tenant, client_id, mode, certificate_path, private_key_path, certificate_pem, account
         FROM tenant_settings WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
    )
    .optional()
}

/// A stored row as settings; a row that no longer passes the checks is reported, not guessed at.
fn parse(row: Row) -> Result<TenantSettings, String> {
    let (tenant, client_id, mode, cert_path, key_path, cert_pem, account) = row;
    let mode = match (mode.as_str(), cert_path, key_path, cert_pem) {
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
        tenant: check_tenant(&tenant).map_err(|e| e.to_string())?,
        client_id: check_client_id(&client_id).map_err(|e| e.to_string())?,
        mode,
        account,
    })
}

fn set(conn: &Connection, s: &TenantSettings, now: &str) -> rusqlite::Result<()> {
    let (cert_path, key_path, cert_pem) = match &s.mode {
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
    conn.execute(
        "INSERT INTO tenant_settings (id, tenant, client_id, mode, certificate_path, private_key_path, certificate_pem, account, updated)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, client_id = excluded.client_id, mode = excluded.mode,
             certificate_path = excluded.certificate_path, private_key_path = excluded.private_key_path,
             certificate_pem = excluded.certificate_pem, account = excluded.account, updated = excluded.updated",
        params![s.tenant, s.client_id, s.mode.name(), cert_path, key_path, cert_pem, s.account, now],
    )?;
    Ok(())
}

impl Store {
    /// The bench's tenant settings, or `None` before the first sign-in.
    pub fn tenant_settings(&self) -> Result<Option<TenantSettings>, StoreError> {
        let row = get(&self.conn).map_err(|e| self.err(e))?;
        row.map(parse).transpose().map_err(|why| {
            let why = format!("tenant_settings: {why}; sign in again to replace them");
            self.err(rusqlite::Error::FromSqlConversionFailure(
                0,
                rusqlite::types::Type::Text,
                why.into(),
            ))
        })
    }

    /// Stores the bench's tenant settings, replacing earlier ones.
    pub fn set_tenant_settings(&mut self, settings: &TenantSettings) -> Result<(), StoreError> {
        let now = self.now();
        self.transact(|tx| set(tx, settings, &now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

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
        let rows: i64 = store
            .conn
            .query_row("SELECT count(*) FROM tenant_settings", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1);
    }

    #[test]
    fn a_damaged_row_is_reported_with_the_next_step() {
        let store = Store::open_in_memory().unwrap();
        store
            .conn
            .execute("INSERT INTO tenant_settings (id, tenant, client_id, mode, updated) VALUES (1, 'contoso', ?1, 'device-code', 'x')", [CLIENT])
            .unwrap();
        let e = store.tenant_settings().unwrap_err().to_string();
        assert!(
            e.contains("tenant_settings") && e.contains("sign in again"),
            "{e}"
        );
    }

    #[test]
    fn the_schema_refuses_half_a_certificate() {
        let store = Store::open_in_memory().unwrap();
        let r = store.conn.execute(
            "INSERT INTO tenant_settings (id, tenant, client_id, mode, certificate_path, updated) VALUES (1, 'a.com', ?1, 'certificate', '/c', 'x')",
            [CLIENT],
        );
        assert!(r.is_err());
    }
}
