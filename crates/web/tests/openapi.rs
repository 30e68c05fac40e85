//! The API contract: the OpenAPI document served on `/api/v1/openapi.json` is one a client generator
//! accepts (one operationId per operation, each parameter where it really is) and it declares the
//! answers the server really gives (401/403 problem+json on protected operations, 400 for a bad query).

mod common;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use common::TestApp;
use parcours_domain::habilitations::Role;
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

async fn document(app: &TestApp) -> Value {
    let a = app.get("/api/v1/openapi.json").await;
    assert_eq!(a.status, StatusCode::OK);
    serde_json::from_str(&a.body).expect("JSON document")
}

/// Every operation as (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = vec![];
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                out.push((m.to_string(), path.clone(), op.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn each_operation_has_its_own_operation_id() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let ops = operations(&doc);
    assert!(ops.len() > 30, "the API is described");
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (m, path, op) in &ops {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{m} {path} has no operationId"))
            .to_string();
        if let Some(other) = seen.insert(id.clone(), format!("{m} {path}")) {
            panic!("operationId « {id} » used by {other} and by {m} {path}");
        }
    }
}

#[tokio::test]
async fn path_parameters_are_in_the_path_and_query_parameters_in_the_query() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    for (m, path, op) in operations(&doc) {
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for p in &params {
            let name = p["name"].as_str().unwrap();
            if p["in"] == "path" {
                assert!(
                    path.contains(&format!("{{{name}}}")),
                    "{m} {path}: « {name} » declared in: path but not in the path"
                );
            }
        }
        // Each placeholder of the template is declared as a path parameter.
        for seg in path.split('/').filter(|s| s.starts_with('{')) {
            let name = seg.trim_matches(['{', '}']);
            assert!(
                params
                    .iter()
                    .any(|p| p["in"] == "path" && p["name"] == name),
                "{m} {path}: « {name} » not declared"
            );
        }
    }
    // The search of personnes takes its text from the query string.
    let search = &doc["paths"]["/api/v1/personnes"]["get"]["parameters"];
    assert_eq!(search[0]["name"], "q");
    assert_eq!(search[0]["in"], "query");
}

#[tokio::test]
async fn protected_operations_declare_401_and_403_and_problems_are_problem_json() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let global = doc["security"].as_array().is_some_and(|s| !s.is_empty());
    for (m, path, op) in operations(&doc) {
        let secured = match op.get("security") {
            Some(s) => s.as_array().is_some_and(|s| !s.is_empty()),
            None => global,
        };
        assert!(secured, "{m} {path} is behind the policy check");
        for status in ["401", "403"] {
            let r = &op["responses"][status];
            assert!(
                r["content"]["application/problem+json"].is_object(),
                "{m} {path}: {status} problem+json not declared"
            );
        }
        if op.get("requestBody").is_some() {
            for status in ["400", "415", "422"] {
                assert!(
                    op["responses"][status].is_object(),
                    "{m} {path}: {status} not declared for a body"
                );
            }
        }
        // A Problem body is never announced as plain JSON.
        for (status, r) in op["responses"].as_object().unwrap() {
            let json_schema = r["content"]["application/json"]["schema"]["$ref"].as_str();
            assert_ne!(
                json_schema,
                Some("#/components/schemas/Problem"),
                "{m} {path}: {status} Problem declared as application/json"
            );
        }
    }
}

#[tokio::test]
async fn an_invalid_query_parameter_is_a_declared_400_problem() {
    let mut app = TestApp::new().await;
    app.login_as(Role::Administrateur).await;
    let secret = app.jeton("Contrat", &["referentiel:lire"]).await;
    let a = app
        .json(
            "GET",
            "/api/v1/communes?limite=beaucoup",
            Some(&secret),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(a.content_type.starts_with("application/problem+json"));
    let v: Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(v["title"], "Paramètres invalides");
    let doc = document(&app).await;
    assert!(
        doc["paths"]["/api/v1/communes"]["get"]["responses"]["400"]["content"]
            ["application/problem+json"]
            .is_object()
    );
}
