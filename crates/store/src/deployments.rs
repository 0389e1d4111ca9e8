//! Deployments added through the admin API, kept beside the config file's
//! `model_list`. The store keeps each definition as opaque text: the gateway
//! encrypts it (it holds provider credentials) before it gets here.

use sqlx::Row;

use crate::{Store, StoreError};

/// One stored deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDeployment {
    pub id: String,
    pub model_name: String,
    /// The `model_list` entry, as the gateway encoded it.
    pub definition: String,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Store {
    /// Every stored deployment, oldest first (the order they join groups).
    pub async fn load_deployments(&self) -> Result<Vec<StoredDeployment>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, model_name, definition, created_by, created_at, updated_at \
             FROM deployments ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredDeployment {
                    id: row.try_get("id")?,
                    model_name: row.try_get("model_name")?,
                    definition: row.try_get("definition")?,
                    created_by: row.try_get("created_by")?,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Creates or replaces a deployment (its creation time and author stay).
    pub async fn save_deployment(&self, deployment: &StoredDeployment) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO deployments (id, model_name, definition, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO UPDATE SET model_name = excluded.model_name, \
             definition = excluded.definition, updated_at = excluded.updated_at",
        )
        .bind(deployment.id.clone())
        .bind(deployment.model_name.clone())
        .bind(deployment.definition.clone())
        .bind(deployment.created_by.clone())
        .bind(deployment.created_at)
        .bind(deployment.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Deletes a deployment; returns whether it existed.
    pub async fn delete_deployment(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM deployments WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn deployments_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Store::sqlite_url_in(dir.path()))
            .await
            .unwrap();
        let mut deployment = StoredDeployment {
            id: "d1".into(),
            model_name: "gpt".into(),
            definition: "opaque".into(),
            created_by: Some("master_key".into()),
            created_at: 1,
            updated_at: 1,
        };
        store.save_deployment(&deployment).await.unwrap();
        deployment.definition = "changed".into();
        deployment.updated_at = 2;
        deployment.created_by = None;
        store.save_deployment(&deployment).await.unwrap();
        let loaded = store.load_deployments().await.unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].definition, "changed");
        assert_eq!(
            loaded[0].created_by.as_deref(),
            Some("master_key"),
            "the author stays"
        );
        assert!(store.delete_deployment("d1").await.unwrap());
        assert!(!store.delete_deployment("d1").await.unwrap());
        assert!(store.load_deployments().await.unwrap().is_empty());
    }
}
