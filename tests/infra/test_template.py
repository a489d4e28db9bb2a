# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The SAM template: cfn-lint clean, least-privilege role, and in step with the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from modelgate.infra.deploy import HANDLER
from modelgate.infra.package import RUNTIMES, runtime_target
from modelgate.serving.settings import ENV_BUNDLE_SHA256, ENV_BUNDLE_URI, ENV_STATEMENT_PUBKEY
from tests.conftest import REPO

TEMPLATE = REPO / "infra" / "template.yaml"
CFN_LINT = Path(sys.executable).with_name("cfn-lint")
BUNDLE_OBJECTS = "arn:${AWS::Partition}:s3:::${BundleBucket}/${BundlePrefix}/*"
BUNDLE_BUCKET = "arn:${AWS::Partition}:s3:::${BundleBucket}"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = cfn_yaml.load(str(TEMPLATE))
    return loaded


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CFN_LINT), str(path)], capture_output=True, text=True,
                          check=False, timeout=120)


def statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    role = template["Resources"]["ServingRole"]["Properties"]
    return [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


@pytest.mark.slow
def test_cfn_lint_passes() -> None:
    """cfn-lint (with its SAM schemas) reports nothing on the template."""
    done = lint(TEMPLATE)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_cfn_lint_catches_a_broken_copy(tmp_path: Path) -> None:
    """The lint step really lints: a dangling role reference fails it."""
    broken = tmp_path / "template.yaml"
    broken.write_text(TEMPLATE.read_text().replace("!GetAtt ServingRole.Arn",
                                                   "!GetAtt MissingRole.Arn", 1))
    done = lint(broken)
    assert done.returncode != 0 and "MissingRole" in done.stdout


def test_role_reads_only_the_bundle_prefix_and_writes_only_its_logs(
        template: dict[str, Any]) -> None:
    """GetObject on the bundle prefix, ListBucket limited to it, log writes; nothing else."""
    found = statements(template)
    assert all(s["Effect"] == "Allow" for s in found)
    by_actions = {frozenset(actions(s)): s for s in found}
    assert set(by_actions) == {frozenset({"s3:GetObject"}), frozenset({"s3:ListBucket"}),
                               frozenset({"logs:CreateLogStream", "logs:PutLogEvents"})}

    get = by_actions[frozenset({"s3:GetObject"})]
    assert get["Resource"] == {"Fn::Sub": BUNDLE_OBJECTS}
    listing = by_actions[frozenset({"s3:ListBucket"})]
    assert listing["Resource"] == {"Fn::Sub": BUNDLE_BUCKET}
    assert listing["Condition"] == {"StringLike": {"s3:prefix": [{"Fn::Sub": "${BundlePrefix}/*"}]}}
    logs = by_actions[frozenset({"logs:CreateLogStream", "logs:PutLogEvents"})]
    assert logs["Resource"] == {"Fn::GetAtt": ["ServingLogGroup", "Arn"]}

    role = template["Resources"]["ServingRole"]["Properties"]
    assert "ManagedPolicyArns" not in role, "managed policies would widen the role"
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                      "Action": "sts:AssumeRole"}]


def test_no_other_resource_grants_permissions(template: dict[str, Any]) -> None:
    """No extra policy, and the function takes the role instead of SAM's default one."""
    kinds = {r["Type"] for r in template["Resources"].values()}
    assert not kinds & {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}
    roles = {k for k, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    assert roles == {"ServingRole", "DeployRole"}
    function = template["Resources"]["ServingFunction"]["Properties"]
    assert function["Role"] == {"Fn::GetAtt": ["ServingRole", "Arn"]}
    assert "Policies" not in function


def test_function_matches_the_package_and_the_deploy_code(template: dict[str, Any]) -> None:
    """Runtime, handler, alias and environment names are the ones the code uses."""
    function = template["Resources"]["ServingFunction"]["Properties"]
    runtime = function["Runtime"]
    assert runtime == "python3.12" and runtime in RUNTIMES
    assert runtime_target(runtime, "x86_64").glibc >= (2, 28), "onnxruntime needs glibc 2.28"
    assert function["Handler"] == HANDLER
    assert function["AutoPublishAlias"] == "live"
    assert set(function["Environment"]["Variables"]) == {ENV_BUNDLE_URI, ENV_BUNDLE_SHA256,
                                                          ENV_STATEMENT_PUBKEY}
    assert function["Architectures"] == [{"Ref": "Architecture"}]
    assert set(template["Parameters"]["Architecture"]["AllowedValues"]) == {"x86_64", "arm64"}


def test_function_url_requires_iam_unless_told_otherwise(template: dict[str, Any]) -> None:
    """The Function URL defaults to AWS_IAM; NONE is an explicit parameter choice."""
    function = template["Resources"]["ServingFunction"]["Properties"]
    assert function["FunctionUrlConfig"]["AuthType"] == {"Ref": "FunctionUrlAuthType"}
    parameter = template["Parameters"]["FunctionUrlAuthType"]
    assert parameter["Default"] == "AWS_IAM"
    assert set(parameter["AllowedValues"]) == {"AWS_IAM", "NONE"}


def deploy_statements(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    role = template["Resources"]["DeployRole"]["Properties"]
    (policy,) = role["Policies"]
    out: dict[str, dict[str, Any]] = {}
    for statement in policy["PolicyDocument"]["Statement"]:
        if "Fn::If" in statement:  # [condition, when set, AWS::NoValue]
            condition, statement, absent = statement["Fn::If"]
            assert condition == "HasSigningKmsKey" and absent == {"Ref": "AWS::NoValue"}
        out[statement["Sid"]] = statement
    return out


def test_the_deploy_role_is_assumed_only_by_the_production_environment(
        template: dict[str, Any]) -> None:
    """Created only when the repository is named; GitHub's OIDC token of that repository's
    `production` environment is the only principal."""
    resource = template["Resources"]["DeployRole"]
    assert resource["Condition"] == "CreateDeployRole"
    role = resource["Properties"]
    assert "ManagedPolicyArns" not in role
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"]["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": {
            "Fn::Sub": "repo:${GitHubRepository}:environment:production"}}


def test_the_deploy_role_writes_the_ledger_and_reads_who_it_is_and_the_key(
        template: dict[str, Any]) -> None:
    """What the release, deploy and rollback call: bundles and the ledger under
    deploy.prefix (never a delete), the one function, passing only the serving role,
    sts:GetCallerIdentity (the ledger's actor) and, with a KMS signer, kms:Sign and
    kms:GetPublicKey on that key alone."""
    found = deploy_statements(template)
    assert set(found) == {"Bundles", "Ledger", "ListDeployPrefix", "Function",
                          "PassServingRole", "WhoAmI", "SignReleaseStatement"}
    assert all(s["Effect"] == "Allow" for s in found.values())
    every = set().union(*(actions(s) for s in found.values()))
    assert not {a for a in every if "Delete" in a or a.endswith(":*")}
    ledger = found["Ledger"]
    assert actions(ledger) == {"s3:GetObject", "s3:PutObject"}
    assert ledger["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:s3:::${BundleBucket}/${DeployPrefix}/ledger/*"}
    assert actions(found["WhoAmI"]) == {"sts:GetCallerIdentity"}
    kms = found["SignReleaseStatement"]
    assert actions(kms) == {"kms:Sign", "kms:GetPublicKey"}
    assert kms["Resource"] == {"Ref": "SigningKmsKeyArn"}
    assert found["PassServingRole"]["Resource"] == {"Fn::GetAtt": ["ServingRole", "Arn"]}
    assert {"lambda:UpdateAlias", "lambda:PublishVersion"} <= actions(found["Function"])


def test_the_function_gets_the_trusted_key_when_given(template: dict[str, Any]) -> None:
    """The statement's public key reaches the function's environment, or nothing (deploy
    then sets it from the KMS key)."""
    function = template["Resources"]["ServingFunction"]["Properties"]
    assert function["Environment"]["Variables"][ENV_STATEMENT_PUBKEY] == {
        "Fn::If": ["HasStatementPublicKey", {"Ref": "StatementPublicKey"},
                   {"Ref": "AWS::NoValue"}]}
