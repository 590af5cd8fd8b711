"""Ecological flow: the plan's seasonal rule on daily discharge (see :mod:`ecoplan.flow.ecoflow`)."""

from .ecoflow import EcoflowRule, defaults, load_rule

__all__ = ["EcoflowRule", "defaults", "load_rule"]
