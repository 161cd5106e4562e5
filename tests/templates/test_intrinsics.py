"""CloudFormation's intrinsic functions and conditions as ``Resolver`` resolves them
(each case checked against the CloudFormation template reference's examples)."""

from __future__ import annotations

from typing import Any

import pytest

from stepfn.templates.errors import Location, TemplateError
from stepfn.templates.intrinsics import NO_VALUE, Deferred, Resolver, Unresolvable, as_template
from stepfn.templates.parameters import Parameters, parse_overrides, pseudo_parameters


class Resources:
    """Two resources: a queue (its values known) and a table left to the local AWS."""

    def has(self, logical_id: str) -> bool:
        return logical_id in ("Queue", "Table")

    def ref(self, logical_id: str) -> Any:
        if logical_id == "Table":
            return Deferred({"Ref": "Table"})
        return "https://sqs.us-east-1.amazonaws.com/123456789012/Queue"

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id == "Table":
            return Deferred({"Fn::GetAtt": ["Table", attribute]})
        if attribute != "Arn":
            raise Unresolvable(f"{logical_id} has no attribute {attribute}")
        return "arn:aws:sqs:us-east-1:123456789012:Queue"


def resolver(parameters: dict | None = None, conditions: dict | None = None,
             exports: dict | None = None) -> Resolver:
    return Resolver(
        pseudo=pseudo_parameters(region="eu-west-1", account="111122223333",
                                 stack_name="shop"),
        parameters=parameters or {"Stage": "prod", "Zones": ["a", "b"]},
        mappings={"Sizes": {"prod": {"Memory": "512"}}},
        conditions=conditions or {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
                                  "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]}},
        resources=Resources(), exports=exports or {"shared-bus": "bus-1"},
        locate=lambda path: Location(None, tuple(path)))


@pytest.mark.parametrize("value, expected", [
    ({"Ref": "AWS::StackName"}, "shop"),
    ({"Ref": "AWS::Region"}, "eu-west-1"),
    ({"Ref": "Stage"}, "prod"),
    ({"Fn::Sub": "${AWS::StackName}-${Stage}-${Queue.Arn}"},
     "shop-prod-arn:aws:sqs:us-east-1:123456789012:Queue"),
    ({"Fn::Sub": ["${Name}/${!Literal}", {"Name": {"Ref": "Stage"}}]}, "prod/${Literal}"),
    ({"Fn::Join": ["-", ["a", {"Ref": "Stage"}, 3]]}, "a-prod-3"),
    ({"Fn::Select": [1, {"Ref": "Zones"}]}, "b"),
    ({"Fn::Select": ["0", {"Fn::Split": [",", "x,y"]}]}, "x"),
    ({"Fn::If": ["IsProd", "big", "small"]}, "big"),
    ({"Fn::If": ["IsDev", "small", {"Ref": "AWS::NoValue"}]}, NO_VALUE),
    ({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}, "512"),
    ({"Fn::FindInMap": ["Sizes", "dev", "Memory", {"DefaultValue": "128"}]}, "128"),
    ({"Fn::Base64": "hi"}, "aGk="),
    ({"Fn::GetAZs": ""}, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ({"Fn::Cidr": ["10.0.0.0/24", 2, 6]}, ["10.0.0.0/26", "10.0.0.64/26"]),
    ({"Fn::ImportValue": "shared-bus"}, "bus-1"),
    ({"Fn::Length": [1, 2, 3]}, 3),
    ({"Fn::ToJsonString": {"a": {"Ref": "Stage"}}}, '{"a":"prod"}'),
    ({"Key": {"Fn::If": ["IsDev", 1, {"Ref": "AWS::NoValue"}]}, "Other": 2}, {"Other": 2}),
])
def test_resolves_as_cloudformation(value: Any, expected: Any) -> None:
    assert resolver().resolve(value, ("Resources", "X")) == expected


def test_values_of_the_local_aws_stay_intrinsics_with_the_rest_resolved() -> None:
    r = resolver()
    sub = r.resolve({"Fn::Sub": "${AWS::StackName}/${Table}/${Table.StreamArn}"}, ())
    assert as_template(sub) == {"Fn::Sub": "shop/${Table}/${Table.StreamArn}"}
    join = r.resolve({"Fn::Join": [":", [{"Ref": "Stage"}, {"Ref": "Table"}]]}, ())
    assert as_template(join) == {"Fn::Join": [":", ["prod", {"Ref": "Table"}]]}


@pytest.mark.parametrize("value, fragment", [
    ({"Fn::Bogus": 1}, "unknown intrinsic function Fn::Bogus"),
    ({"Ref": "Nope"}, "no parameter or resource of that name"),
    ({"Fn::GetAtt": ["Queue", "Color"]}, "Queue has no attribute Color"),
    ({"Fn::ImportValue": "elsewhere"}, "Fn::ImportValue 'elsewhere'"),
    ({"Fn::Select": [5, ["a"]]}, "index 5 is outside"),
    ({"Fn::Equals": ["a", "b"]}, "belongs in the Conditions section"),
    ({"Fn::If": ["Missing", 1, 2]}, "condition Missing is not in the Conditions section"),
    ({"Fn::Transform": {"Name": "AWS::Include"}}, "macro"),
])
def test_what_cannot_be_resolved_names_its_place(value: Any, fragment: str) -> None:
    path = ("Resources", "Machine", "Properties", "DefinitionSubstitutions", "TableName")
    with pytest.raises(TemplateError) as caught:
        resolver().resolve(value, path)
    assert fragment in caught.value.message
    assert str(caught.value).startswith(
        "Resources/Machine/Properties/DefinitionSubstitutions/TableName: ")


def test_a_condition_that_refers_to_itself_is_an_error() -> None:
    r = resolver(conditions={"A": {"Condition": "B"}, "B": {"Fn::Not": [{"Condition": "A"}]}})
    with pytest.raises(TemplateError, match="depends on itself"):
        r.condition("A", ())


def test_parameters_defaults_overrides_and_checks() -> None:
    declared = {"Stage": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]},
                "Count": {"Type": "Number", "Default": 3, "MaxValue": 5},
                "Names": {"Type": "CommaDelimitedList", "Default": "a, b"},
                "Bootstrap": {"Type": "AWS::SSM::Parameter::Value<String>",
                              "Default": "/cdk/version"}}
    locate = lambda path: Location(None, tuple(path))  # noqa: E731
    params = Parameters(declared, parse_overrides(["Stage=prod", "ParameterKey=Count,ParameterValue=4"]),
                        locate)
    assert params.values["Stage"] == "prod" and params.values["Count"] == "4"
    assert params.values["Names"] == ["a", "b"]
    with pytest.raises(Unresolvable, match="SSM parameter /cdk/version"):
        params.value("Bootstrap")
    with pytest.raises(TemplateError, match="not one of its AllowedValues"):
        Parameters(declared, {"Stage": "test"}, locate)
    with pytest.raises(TemplateError, match="outside its MaxValue"):
        Parameters(declared, {"Count": "9"}, locate)
    with pytest.raises(TemplateError, match="has no value"):
        Parameters({"Key": {"Type": "String"}}, {}, locate)
    assert parse_overrides(['A=1 B="two words"']) == {"A": "1", "B": "two words"}
    with pytest.raises(ValueError, match="expected KEY=VALUE"):
        parse_overrides(["oops"])
