"""Thin data access. Repositories never commit: the service that owns the use case owns the transaction."""

from db.repositories.credentials import CredentialRepository
from db.repositories.integrations import IntegrationRepository
from db.repositories.sync import SyncRepository
from db.repositories.transactions import TransactionRepository
from db.repositories.users import UserRepository

__all__ = [
    "CredentialRepository",
    "IntegrationRepository",
    "SyncRepository",
    "TransactionRepository",
    "UserRepository",
]
