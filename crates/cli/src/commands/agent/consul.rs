//! The agent's consul-template templates: one [`Keeper`] per Vault store keeps their
//! dependencies current, and a template is rendered again when one it used changed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use ironsecrets::delivery::{TemplateSpec, Watcher};
use tokio::sync::mpsc;

use crate::commands::render::{consul_template, read_source, vault_client};
use crate::ctmpl::{CtTemplate, Dependency, Fetcher, Keeper, KeeperEvent, Rendered, Source};
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
    sender: mpsc::UnboundedSender<(Option<String>, KeeperEvent)>,
    receiver: mpsc::UnboundedReceiver<(Option<String>, KeeperEvent)>,
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
        watcher: &Watcher,
        template: &mut ConsulTemplate,
    ) -> CliResult<Rendered> {
        let keeper = self.keeper(watcher, &template.spec).await?;
        let rendered = template
            .template
            .render(Source::Kept(&keeper), &template.spec.destination)
            .await?;
        template.used = rendered.dependencies.iter().cloned().collect();
        Ok(rendered)
    }

    /// What happened next to a kept dependency, with its store.
    pub async fn next(&mut self) -> Option<(Option<String>, KeeperEvent)> {
        self.receiver.recv().await
    }

    /// Stops keeping what `templates` no longer use (after a reload).
    pub async fn retain(&self, templates: &[ConsulTemplate]) {
        for (store, keeper) in &self.keepers {
            let used: HashSet<Dependency> = templates
                .iter()
                .filter(|t| t.spec.store == *store)
                .flat_map(|t| t.used.iter().cloned())
                .collect();
            keeper.retain(&used).await;
        }
    }

    /// Stops every keeper (leases are left to run out).
    pub async fn shutdown(&self) {
        for keeper in self.keepers.values() {
            keeper.shutdown().await;
        }
    }

    /// The keeper of `spec`'s store, sharing the watcher's lease manager (so its leases
    /// are children of the store's login, and their events are logged with the others).
    async fn keeper(&mut self, watcher: &Watcher, spec: &TemplateSpec) -> CliResult<Arc<Keeper>> {
        if let Some(keeper) = self.keepers.get(&spec.store) {
            return Ok(Arc::clone(keeper));
        }
        let fetcher = Fetcher::new(vault_client(watcher.resolver(), spec).await?);
        let login = watcher.login(spec.store.as_deref());
        let leases = Arc::clone(watcher.leases());
        let keeper = Arc::new(Keeper::new(fetcher, leases, login, self.poll));
        let (mut changes, sender, store) =
            (keeper.subscribe(), self.sender.clone(), spec.store.clone());
        tokio::spawn(async move {
            loop {
                match changes.recv().await {
                    Ok(event) => {
                        if sender.send((store.clone(), event)).is_err() {
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
