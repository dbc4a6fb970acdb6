//! Secrets Manager rotation: `RotateSecret` with a rotation Lambda and schedule, and the
//! stage moves a rotation (or an operator) performs.

use aws_sdk_secretsmanager::types::RotationRulesType;
use ironsecrets_core::{
    Error, Operation, Result, SecretValue, Version, VersionInfo, validate_path,
};

use crate::store::{AWSPENDING, AwsSecretsStore, sm_error};
use crate::value::StoredValue;

/// How often Secrets Manager rotates a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RotationSchedule {
    /// Every N days (1 to 1000).
    Days(i64),
    /// A `rate(...)` or `cron(...)` expression.
    Expression(String),
}

/// What `RotateSecret` is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationRequest {
    /// The rotation Lambda's ARN; `None` keeps the one configured.
    pub lambda_arn: Option<String>,
    /// The schedule; `None` keeps the one configured.
    pub schedule: Option<RotationSchedule>,
    /// Rotate now (true, AWS's default) or only at the next scheduled time.
    pub rotate_immediately: bool,
}

impl Default for RotationRequest {
    fn default() -> Self {
        RotationRequest {
            lambda_arn: None,
            schedule: None,
            rotate_immediately: true,
        }
    }
}

impl AwsSecretsStore {
    /// Starts a rotation (and configures the Lambda and schedule). Returns the id of the
    /// version the rotation writes (`AWSPENDING`), when AWS names one.
    pub async fn rotate(&self, path: &str, request: &RotationRequest) -> Result<Option<Version>> {
        let outcome = async {
            validate_path(path)?;
            let rules = request.schedule.as_ref().map(|schedule| match schedule {
                RotationSchedule::Days(days) => RotationRulesType::builder()
                    .automatically_after_days(*days)
                    .build(),
                RotationSchedule::Expression(expr) => RotationRulesType::builder()
                    .schedule_expression(expr)
                    .build(),
            });
            let out = self
                .client
                .rotate_secret()
                .secret_id(path)
                .set_rotation_lambda_arn(request.lambda_arn.clone())
                .set_rotation_rules(rules)
                .rotate_immediately(request.rotate_immediately)
                .send()
                .await
                .map_err(sm_error)?;
            Ok(out.version_id().map(Version::new))
        };
        outcome
            .await
            .map_err(|e: Error| e.context(crate::BACKEND, Operation::Rotate, path))
    }

    /// Writes `value` as version `version` labelled `AWSPENDING` — a rotation
    /// function's "set secret" step. Nothing reads it until `AWSCURRENT` moves to it.
    pub async fn put_pending(
        &self,
        path: &str,
        version: &Version,
        value: &SecretValue,
    ) -> Result<VersionInfo> {
        let outcome = async {
            validate_path(path)?;
            if value.is_empty() {
                return Err(Error::invalid_input(
                    "Secrets Manager cannot store an empty value",
                ));
            }
            self.put_version_with(
                path,
                &StoredValue::from_value(value),
                AWSPENDING,
                Some(version.as_str()),
            )
            .await
        };
        outcome
            .await
            .map_err(|e: Error| e.context(crate::BACKEND, Operation::PutPending, path))
    }

    /// Moves stage label `stage` from version `from` to version `to`
    /// (`UpdateSecretVersionStage`). AWS refuses the move (InvalidInput) when `from`
    /// does not hold the label; moving `AWSCURRENT` puts `AWSPREVIOUS` on `from`.
    pub async fn move_stage(
        &self,
        path: &str,
        stage: &str,
        from: Option<&Version>,
        to: Option<&Version>,
    ) -> Result<()> {
        let outcome = async {
            validate_path(path)?;
            self.client
                .update_secret_version_stage()
                .secret_id(path)
                .version_stage(stage)
                .set_remove_from_version_id(from.map(|v| v.as_str().to_owned()))
                .set_move_to_version_id(to.map(|v| v.as_str().to_owned()))
                .send()
                .await
                .map_err(sm_error)?;
            Ok(())
        };
        outcome
            .await
            .map_err(|e: Error| e.context(crate::BACKEND, Operation::MoveStage, path))
    }
}
