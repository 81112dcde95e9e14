//! deploy/kubernetes against the real schemas: Kubernetes' own (strict about unknown fields) and KEDA's CRDs, with validators installed from PyPI and npm.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use std::path::Path;
use std::process::Command;

use crate::support;
use crate::support::{needs, repo_root};

fn read(relative: &str) -> String {
    std::fs::read_to_string(repo_root().join(relative))
        .unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// The folder `scripts/ensure-kubernetes-validators` installed the validators in.
fn validators() -> std::path::PathBuf {
    let out = support::stdout_of(
        &mut Command::new(repo_root().join("scripts/ensure-kubernetes-validators")),
        "scripts/ensure-kubernetes-validators",
    );
    std::path::PathBuf::from(String::from_utf8(out).unwrap().trim())
}

/// What the validators say about `files`: `Ok` when Kubernetes' schemas
/// (strict: an unknown field is an error) and KEDA's CRD schemas accept
/// every object, else every complaint. Only `keda.sh` kinds may be unknown
/// to the first; the second knows them all or says so.
fn validate_manifests(validators: &Path, files: &[std::path::PathBuf]) -> Result<(), String> {
    let kubernetes = Command::new(validators.join("venv/bin/kubernetes-validate"))
        .arg("--strict")
        .args(files)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&kubernetes.stdout).into_owned()
        + &String::from_utf8_lossy(&kubernetes.stderr);
    let mut complaints: Vec<&str> = said
        .lines()
        .filter(|line| !line.starts_with("INFO"))
        .filter(|line| !(line.starts_with("WARN") && line.contains("with api version keda.sh/")))
        .collect();
    if !kubernetes.status.success() && complaints.is_empty() {
        complaints.push("kubernetes-validate failed without saying why");
    }
    std::fs::copy(
        repo_root().join("tests/kubernetes/keda.mjs"),
        validators.join("keda.mjs"),
    )
    .unwrap();
    // Node resolves the KEDA models from the script's own folder.
    let keda = Command::new("node")
        .current_dir(validators)
        .arg("keda.mjs")
        .args(files)
        .output()
        .unwrap();
    let keda_said = String::from_utf8_lossy(&keda.stdout).into_owned();
    if !keda.status.success() {
        complaints.push(&keda_said);
    }
    match complaints.is_empty() {
        true => Ok(()),
        false => Err(complaints.join("\n")),
    }
}

/// Every manifest passes Kubernetes' and KEDA's schemas, and a broken copy
/// does not, so that the pass means something.
#[test]
fn every_manifest_passes_the_kubernetes_and_keda_schemas() {
    needs!(KubernetesValidators);
    let validators = validators();
    let manifests: Vec<std::path::PathBuf> =
        std::fs::read_dir(repo_root().join("deploy/kubernetes"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            // Kustomize's own file is no Kubernetes object; the test above reads it.
            .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
            .filter(|path| !path.ends_with("kustomization.yaml"))
            .collect();
    assert!(manifests.len() >= 5, "{manifests:?}");
    if let Err(complaints) = validate_manifests(&validators, &manifests) {
        panic!("deploy/kubernetes does not validate:\n{complaints}");
    }

    let broken = tempfile::tempdir().unwrap();
    let render = read("deploy/kubernetes/render.yaml");
    for (name, text, expected) in [
        (
            "typo.yaml",
            render.replacen("  selector:", "  replica: 2\n  selector:", 1),
            "'replica' was unexpected",
        ),
        (
            "keda.yaml",
            render.replacen("minReplicaCount: 1", "minReplicaCount: one", 1),
            "minReplicaCount must be integer",
        ),
        (
            "kind.yaml",
            render.replacen("kind: ScaledObject", "kind: ScaledObjekt", 1),
            "no schema for keda.sh/v1alpha1 ScaledObjekt",
        ),
    ] {
        assert_ne!(text, render, "{name}: the edit must change the manifest");
        let path = broken.path().join(name);
        std::fs::write(&path, text).unwrap();
        let complaints = validate_manifests(&validators, &[path]).expect_err(name);
        assert!(complaints.contains(expected), "{name}: {complaints}");
    }
}
