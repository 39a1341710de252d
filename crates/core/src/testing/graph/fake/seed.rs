//! What tests and demos put in the fake tenant (profiles, devices, users) and read back.

use serde_json::{json, Map, Value};

use super::entities::default_profile;
use super::{lock, rfc3339, FakeGraph};

impl FakeGraph {
    fn new_id(&self) -> String {
        self.inner.new_id()
    }

    fn seed(&self, entity: &str, value: Value) -> Map<String, Value> {
        let Value::Object(map) = value else {
            panic!("seed {entity}: not a JSON object")
        };
        if let Err(v) = self
            .inner
            .schema
            .check_entity(entity, &Value::Object(map.clone()))
        {
            panic!("seed {entity}: {v}");
        }
        map
    }

    /// Adds an enrollment profile (properties of `androidDeviceOwnerEnrollmentProfile`); returns its id.
    pub fn add_profile(&self, profile: Value) -> String {
        let mut map = self.seed(
            "microsoft.graph.androidDeviceOwnerEnrollmentProfile",
            profile,
        );
        let id = map
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| self.new_id());
        let defaults = default_profile(&id, self.inner.clock.now());
        for (k, v) in defaults {
            map.entry(k).or_insert(v);
        }
        lock(&self.inner.tenant).profiles.insert(id.clone(), map);
        id
    }

    /// Adds a managed device (properties of `managedDevice`); returns its id.
    pub fn add_device(&self, device: Value) -> String {
        let mut map = self.seed("microsoft.graph.managedDevice", device);
        let id = map
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| self.new_id());
        let now = rfc3339(self.inner.clock.now());
        for (k, v) in [
            ("id", json!(id)),
            ("deviceName", json!("")),
            ("serialNumber", json!("")),
            ("operatingSystem", json!("Android")),
            ("managementState", json!("managed")),
            ("enrolledDateTime", json!(now)),
            ("lastSyncDateTime", json!(now)),
            ("notes", Value::Null),
            ("userId", json!("")),
            ("userPrincipalName", json!("")),
            ("userDisplayName", json!("")),
            ("emailAddress", json!("")),
            ("usersLoggedOn", json!([])),
        ] {
            map.entry(k).or_insert(v);
        }
        lock(&self.inner.tenant)
            .devices_mut()
            .insert(id.clone(), map);
        id
    }

    /// Changes a device (as Intune would over time: renamed, synced, user assigned…).
    pub fn update_device(&self, id: &str, changes: Value) {
        let changes = self.seed("microsoft.graph.managedDevice", changes);
        let mut tenant = lock(&self.inner.tenant);
        let device = tenant
            .devices_mut()
            .get_mut(id)
            .unwrap_or_else(|| panic!("no device {id}"));
        device.extend(changes);
    }

    /// Removes a device.
    pub fn remove_device(&self, id: &str) -> bool {
        lock(&self.inner.tenant).devices_mut().remove(id).is_some()
    }

    /// Adds a user (properties of `user`); returns its id.
    pub fn add_user(&self, user: Value) -> String {
        let mut map = self.seed("microsoft.graph.user", user);
        let id = map
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| self.new_id());
        map.insert("id".into(), json!(id));
        lock(&self.inner.tenant).users.insert(id.clone(), map);
        id
    }

    /// A profile as stored.
    pub fn profile(&self, id: &str) -> Option<Value> {
        lock(&self.inner.tenant)
            .profiles
            .get(id)
            .cloned()
            .map(Value::Object)
    }

    /// A device as stored.
    pub fn device(&self, id: &str) -> Option<Value> {
        lock(&self.inner.tenant)
            .devices
            .get(id)
            .cloned()
            .map(Value::Object)
    }

    /// A device's primary user id.
    pub fn primary_user(&self, device: &str) -> Option<String> {
        lock(&self.inner.tenant).primary_users.get(device).cloned()
    }

    /// Imported corporate identifiers.
    pub fn imported_identities(&self) -> Vec<Value> {
        lock(&self.inner.tenant)
            .identities
            .values()
            .cloned()
            .map(Value::Object)
            .collect()
    }
}
