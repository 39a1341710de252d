//! The `tenant_settings` table: one row, the bench's tenant, app registration and sign-in mode,
//! and who signed in. Nothing secret: refresh tokens, client secrets and imported private keys
//! are in the OS keyring (`intune::auth`), and the certificate kept here for an imported
//! certificate is its public half. The row is plain ([`TenantRow`]); `intune::auth` reads it
//! as its tenant settings and checks them.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Store, StoreError};

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

/// The tenant settings as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRow {
    /// The tenant's id or domain.
    pub tenant: String,
    /// The app registration's client id.
    pub client_id: String,
    /// `device-code`, `client-secret` or `certificate`.
    pub mode: String,
    /// With `certificate`: the certificate file, when the files are the admin's.
    pub certificate_path: Option<String>,
    /// With `certificate`: its private key file, beside `certificate_path`.
    pub private_key_path: Option<String>,
    /// With `certificate`: the imported certificate (public, PEM), instead of the files.
    pub certificate_pem: Option<String>,
    /// Who is signed in.
    pub account: Option<String>,
}

fn get(conn: &Connection) -> rusqlite::Result<Option<TenantRow>> {
    conn.query_row(
        "SELECT tenant, client_id, mode, certificate_path, private_key_path, certificate_pem, account
         FROM tenant_settings WHERE id = 1",
        [],
        |r| {
            Ok(TenantRow {
                tenant: r.get(0)?,
                client_id: r.get(1)?,
                mode: r.get(2)?,
                certificate_path: r.get(3)?,
                private_key_path: r.get(4)?,
                certificate_pem: r.get(5)?,
                account: r.get(6)?,
            })
        },
    )
    .optional()
}

fn set(conn: &Connection, s: &TenantRow, now: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO tenant_settings (id, tenant, client_id, mode, certificate_path, private_key_path, certificate_pem, account, updated)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, client_id = excluded.client_id, mode = excluded.mode,
             certificate_path = excluded.certificate_path, private_key_path = excluded.private_key_path,
             certificate_pem = excluded.certificate_pem, account = excluded.account, updated = excluded.updated",
        params![
            s.tenant,
            s.client_id,
            s.mode,
            s.certificate_path,
            s.private_key_path,
            s.certificate_pem,
            s.account,
            now
        ],
    )?;
    Ok(())
}

impl Store {
    /// The bench's tenant settings row, or `None` before the first sign-in.
    pub fn tenant_row(&self) -> Result<Option<TenantRow>, StoreError> {
        get(&self.conn).map_err(|e| self.err(e))
    }

    /// Stores the bench's tenant settings row, replacing an earlier one.
    pub fn set_tenant_row(&mut self, row: &TenantRow) -> Result<(), StoreError> {
        let now = self.now();
        self.transact(|tx| set(tx, row, &now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: &str = "00000000-1111-2222-3333-444444444444";

    fn row(mode: &str) -> TenantRow {
        TenantRow {
            tenant: "contoso.onmicrosoft.com".into(),
            client_id: CLIENT.into(),
            mode: mode.into(),
            certificate_path: None,
            private_key_path: None,
            certificate_pem: None,
            account: None,
        }
    }

    #[test]
    fn rows_round_trip_and_replace_each_other() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.tenant_row().unwrap(), None);
        let files = TenantRow {
            certificate_path: Some("/etc/sb/cert.pem".into()),
            private_key_path: Some("/etc/sb/key.pem".into()),
            account: Some("tech@contoso.com".into()),
            ..row("certificate")
        };
        let imported = TenantRow {
            certificate_pem: Some("-----BEGIN CERTIFICATE-----\n…".into()),
            ..row("certificate")
        };
        for r in [row("device-code"), row("client-secret"), files, imported] {
            store.set_tenant_row(&r).unwrap();
            assert_eq!(store.tenant_row().unwrap(), Some(r));
        }
        let rows: i64 = store
            .conn
            .query_row("SELECT count(*) FROM tenant_settings", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1);
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
