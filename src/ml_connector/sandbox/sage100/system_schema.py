"""The system database (Sage's MAS_SYSTEM): companies, users, roles, tasks and their rights."""

from __future__ import annotations

from ml_connector.sandbox.sage100.schema import Col, TableSpec

# System table readable through SY_Company_svc (created by SYSTEM_DDL below).
SY_COMPANY = TableSpec(
    "SY_Company",
    (
        Col("CompanyCode", "S", 3, upper=True),
        Col("CompanyName", "S", 30),
        Col("AllowExternalAccess", "S", 1, upper=True, flag=True),
        Col("DateCreated", "S", 8, date=True),
        Col("TimeCreated", "S", 8),
    ),
    ("CompanyCode",),
    audit=False,
)


# System database (MAS_SYSTEM): users, roles, tasks, companies.
SYSTEM_DDL = (
    "CREATE TABLE IF NOT EXISTS SY_Company (CompanyCode TEXT PRIMARY KEY, "
    "CompanyName TEXT NOT NULL, "
    "AllowExternalAccess TEXT NOT NULL DEFAULT 'Y', DateCreated TEXT NOT NULL DEFAULT '', "
    "TimeCreated TEXT NOT NULL DEFAULT '')",
    "CREATE TABLE IF NOT EXISTS SY_User (UserKey TEXT PRIMARY KEY, UserLogon TEXT NOT NULL UNIQUE "
    "COLLATE NOCASE, UserCode TEXT NOT NULL, PasswordHash TEXT NOT NULL, "
    "PasswordSalt TEXT NOT NULL, "
    "Locked TEXT NOT NULL DEFAULT 'N')",
    "CREATE TABLE IF NOT EXISTS SY_UserCompany (UserKey TEXT NOT NULL, CompanyCode TEXT NOT NULL, "
    "PRIMARY KEY (UserKey, CompanyCode))",
    "CREATE TABLE IF NOT EXISTS SY_UserRole (UserKey TEXT NOT NULL, SecurityRole TEXT NOT NULL, "
    "PRIMARY KEY (UserKey, SecurityRole))",
    "CREATE TABLE IF NOT EXISTS SY_Task (TaskKey INTEGER PRIMARY KEY, "
    "ProgramName TEXT NOT NULL UNIQUE "
    "COLLATE NOCASE, TaskName TEXT NOT NULL, ModuleCode TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS SY_RoleSecurity (SecurityRole TEXT NOT NULL, "
    "TaskKey INTEGER NOT NULL, "
    "CreateAccess TEXT NOT NULL, ModifyAccess TEXT NOT NULL, RemoveAccess TEXT NOT NULL, "
    "ViewAccess TEXT NOT NULL, PRIMARY KEY (SecurityRole, TaskKey))",
    "CREATE TABLE IF NOT EXISTS SY_SandboxCounter (Name TEXT PRIMARY KEY, Value INTEGER NOT NULL)",
)

# The tasks the sandbox knows: (TaskKey, ProgramName, TaskName, ModuleCode).
TASKS = (
    (101, "AP_Vendor_ui", "Vendor Maintenance", "A/P"),
    (102, "AP_Invoice_ui", "Invoice Data Entry", "A/P"),
    (103, "AP_InvoiceRegister_ui", "Invoice Register", "A/P"),
    (104, "AP_Division_ui", "Division Maintenance", "A/P"),
    (105, "AP_VendorInquiry_ui", "Vendor Inquiry", "A/P"),
    (201, "GL_Account_ui", "Account Maintenance", "G/L"),
)
