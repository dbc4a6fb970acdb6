//! The timing policy as pure functions of the time left: when to renew, re-issue, retry.

use std::time::Duration;

use crate::LeaseConfig;

/// Delay until the next renewal of a lease with `remaining` time left: `renew_fraction`
/// of it, spread by `jitter` (`unit` is a random number in `[-1, 1]`).
pub(crate) fn renew_delay(config: &LeaseConfig, remaining: Duration, unit: f64) -> Duration {
    let fraction = config.renew_fraction.clamp(0.0, 1.0);
    let jitter = config.jitter.clamp(0.0, 1.0) * unit.clamp(-1.0, 1.0);
    let delay = remaining.as_secs_f64() * fraction * (1.0 + jitter);
    Duration::from_secs_f64(delay.clamp(0.0, remaining.as_secs_f64()))
}

/// Delay until re-issue of a lease that cannot be extended, with `remaining` time left:
/// `reissue_fraction` of it, but at least `reissue_lead` before the end when possible.
pub(crate) fn reissue_delay(config: &LeaseConfig, remaining: Duration) -> Duration {
    let fraction = config.reissue_fraction.clamp(0.0, 1.0);
    let by_fraction = remaining.mul_f64(fraction);
    by_fraction.min(remaining.saturating_sub(config.reissue_lead))
}

/// Delay before retry number `failures` (1 for the first failure): exponential from
/// `backoff_initial`, at most `backoff_max`, and at most `remaining` (the time the lease
/// has left, `None` when it has expired) but never below `backoff_initial`.
pub(crate) fn backoff(
    config: &LeaseConfig,
    failures: u32,
    remaining: Option<Duration>,
) -> Duration {
    let exponent = failures.saturating_sub(1).min(30);
    let grown = config.backoff_initial.saturating_mul(1 << exponent);
    let mut delay = grown.min(config.backoff_max);
    if let Some(remaining) = remaining {
        delay = delay.min(remaining);
    }
    delay.max(config.backoff_initial)
}

/// When to revoke an old lease after a rotation, counted from now: `revoke_old_after`,
/// else `revoke_margin` before the old lease's end (`remaining` from now).
pub(crate) fn revoke_old_delay(config: &LeaseConfig, remaining: Duration) -> Duration {
    match config.revoke_old_after {
        Some(after) => after,
        None => remaining.saturating_sub(config.revoke_margin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn renewal_is_two_thirds_with_ten_percent_jitter() {
        let config = LeaseConfig::default();
        let remaining = 30 * SEC;
        assert_eq!(renew_delay(&config, remaining, 0.0), 20 * SEC);
        assert_eq!(renew_delay(&config, remaining, 1.0), 22 * SEC);
        assert_eq!(renew_delay(&config, remaining, -1.0), 18 * SEC);
        assert_eq!(renew_delay(&config, remaining, 7.0), 22 * SEC);
        assert_eq!(renew_delay(&config, Duration::ZERO, 1.0), Duration::ZERO);
    }

    #[test]
    fn reissue_at_85_percent_but_ahead_of_the_end() {
        let config = LeaseConfig::default();
        assert_eq!(reissue_delay(&config, 100 * SEC), 85 * SEC);
        // 85 % of 4 s would leave 0.6 s; the lead keeps 1 s.
        assert_eq!(reissue_delay(&config, 4 * SEC), 3 * SEC);
        assert_eq!(reissue_delay(&config, SEC / 2), Duration::ZERO);
    }

    #[test]
    fn backoff_doubles_and_is_bounded() {
        let config = LeaseConfig::default();
        let ms = Duration::from_millis;
        assert_eq!(backoff(&config, 1, None), ms(500));
        assert_eq!(backoff(&config, 2, None), ms(1000));
        assert_eq!(backoff(&config, 4, None), ms(4000));
        assert_eq!(backoff(&config, 40, None), 30 * SEC);
        assert_eq!(backoff(&config, 6, Some(3 * SEC)), 3 * SEC);
        // Never a tight loop, even with the lease about to end.
        assert_eq!(backoff(&config, 6, Some(ms(10))), ms(500));
    }

    #[test]
    fn old_lease_revoked_just_before_its_end() {
        let mut config = LeaseConfig::default();
        assert_eq!(revoke_old_delay(&config, 5 * SEC), 4 * SEC);
        assert_eq!(revoke_old_delay(&config, SEC / 2), Duration::ZERO);
        config.revoke_old_after = Some(2 * SEC);
        assert_eq!(revoke_old_delay(&config, 5 * SEC), 2 * SEC);
    }
}
