//! The agent's consul-template templates: one [`Keeper`] per Vault store keeps their
//! dependencies current, and a template is rendered again when one it used changed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use ironsecrets::delivery::{Resolver, TemplateSpec};
use ironsecrets::lease::{LeaseConfig, LeaseManager};
use tokio::sync::mpsc;

use crate::commands::render::{consul_template, read_source, vault_client};
use crate::ctmpl::{CtTemplate, Dependency, Fetcher, Keeper, Rendered, Source};
use crate::error::CliResult;

/// A consul-template template and what its last render used.
pub struct ConsulTemplate {
    /// Its settings.
    pub spec: TemplateSpec,
    template: CtTemplate,
    used: HashSet<Dependency>,
}

impl ConsulTemplate {
    /// Reads and parses `spec`'s source.
    pub fn load(spec: &TemplateSpec) -> CliResult<ConsulTemplate> {
        Ok(ConsulTemplate {
            spec: spec.clone(),
            template: consul_template(spec, &read_source(&spec.source)?)?,
            used: HashSet::new(),
        })
    }

    /// Whether the last render used `dependency`.
    pub fn uses(&self, changed: &HashSet<(Option<String>, Dependency)>) -> bool {
        changed
            .iter()
            .any(|(store, dep)| *store == self.spec.store && self.used.contains(dep))
    }
}

/// The keepers, one per store, and the changes they report.
pub struct Keepers {
    poll: Duration,
    keepers: HashMap<Option<String>, Arc<Keeper>>,
    sender: mpsc::UnboundedSender<(Option<String>, Dependency)>,
    receiver: mpsc::UnboundedReceiver<(Option<String>, Dependency)>,
}

impl Keepers {
    /// No keepers yet; stored secrets are polled every `poll`.
    pub fn new(poll: Duration) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Keepers {
            poll,
            keepers: HashMap::new(),
            sender,
            receiver,
        }
    }

    /// Renders `template` with kept dependencies.
    pub async fn render(
        &mut self,
        resolver: &Resolver,
        template: &mut ConsulTemplate,
    ) -> CliResult<Rendered> {
        let keeper = self.keeper(resolver, &template.spec).await?;
        let rendered = template
            .template
            .render(Source::Kept(&keeper), &template.spec.destination)
            .await?;
        template.used = rendered.dependencies.iter().cloned().collect();
        Ok(rendered)
    }

    /// The next dependency that changed, with its store.
    pub async fn changed(&mut self) -> Option<(Option<String>, Dependency)> {
        self.receiver.recv().await
    }

    /// Stops every keeper (leases are left to run out).
    pub async fn shutdown(&self) {
        for keeper in self.keepers.values() {
            keeper.shutdown().await;
        }
    }

    async fn keeper(&mut self, resolver: &Resolver, spec: &TemplateSpec) -> CliResult<Arc<Keeper>> {
        if let Some(keeper) = self.keepers.get(&spec.store) {
            return Ok(Arc::clone(keeper));
        }
        let fetcher = Fetcher::new(vault_client(resolver, spec).await?);
        let leases = LeaseManager::new(LeaseConfig::default());
        let keeper = Arc::new(Keeper::new(fetcher, leases, self.poll));
        let (mut changes, sender, store) =
            (keeper.subscribe(), self.sender.clone(), spec.store.clone());
        tokio::spawn(async move {
            loop {
                match changes.recv().await {
                    Ok(dependency) => {
                        if sender.send((store.clone(), dependency)).is_err() {
                            return;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        self.keepers.insert(spec.store.clone(), Arc::clone(&keeper));
        Ok(keeper)
    }
}
