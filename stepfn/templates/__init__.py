"""SAM, CloudFormation and CDK applications, loaded into a plain model and run.

A layer above the service: ``load_application`` reads ``--template`` files into a
``model.Application`` (state machines, activities, Lambda functions, SQS event sources,
schedules, the other resources, outputs), resolved as CloudFormation resolves them;
``host`` then creates the machines through the service, hands the functions to the
Lambda runtime and runs the event sources and schedules. ``TemplateError`` is every
problem, with its place in the template.
"""

from __future__ import annotations

from .application import LoadOptions, load_application
from .errors import Location, TemplateError
from .model import Application, MachineSpec

__all__ = ["Application", "LoadOptions", "Location", "MachineSpec", "TemplateError",
           "load_application"]
