"""Flet views of LifeOS Coach: small declarative components that receive the Engine by injection."""
