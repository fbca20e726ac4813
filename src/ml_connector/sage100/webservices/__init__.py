"""Sage 100 eBusiness Web Services (SOAP): the client used by the connectivity check.

from ml_connector.sage100.webservices import SageWebServicesClient, WebServicesSettings
"""

from ml_connector.sage100.webservices.client import (
    ContractInformation,
    SageWebServicesClient,
    WebServicesSettings,
    WsCustomer,
    WsSalesOrder,
    WsSalesOrderLine,
    builtin_wsdl_path,
)
from ml_connector.sage100.webservices.errors import (
    WebServicesFaultError,
    WebServicesServerError,
    WebServicesUnreachableError,
)
from ml_connector.sage100.webservices.transport import EnvelopeHistory, Exchange

__all__ = [
    "ContractInformation",
    "EnvelopeHistory",
    "Exchange",
    "SageWebServicesClient",
    "WebServicesFaultError",
    "WebServicesServerError",
    "WebServicesSettings",
    "WebServicesUnreachableError",
    "WsCustomer",
    "WsSalesOrder",
    "WsSalesOrderLine",
    "builtin_wsdl_path",
]
