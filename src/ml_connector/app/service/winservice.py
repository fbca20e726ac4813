"""The Windows service host: started by the SCM as `python -m ml_connector.app.service.winservice`.

Thin on purpose: it reports RUNNING at once, runs the scheduler on a worker thread, writes
errors to the Windows Event Log, and on a stop request asks the scheduler to stop and waits
for the cycle in flight. All of it needs pywin32, so nothing here runs on Linux; the logic it
calls (`app.runner`) is tested there.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def _service_class() -> Any:
    import servicemanager
    import win32event
    import win32service
    import win32serviceutil

    from ml_connector.app.service.platform import DESCRIPTION, DISPLAY_NAME, SERVICE_NAME

    class MlConnectorService(win32serviceutil.ServiceFramework):  # type: ignore[misc]
        _svc_name_ = SERVICE_NAME
        _svc_display_name_ = DISPLAY_NAME
        _svc_description_ = DESCRIPTION
        config_path: Path | None = None

        def __init__(self, args: Any) -> None:
            super().__init__(args)
            self._stop_event = win32event.CreateEvent(None, 0, 0, None)
            self._runner: Any = None

        def SvcStop(self) -> None:  # pywin32 names these
            self.ReportServiceStatus(win32service.SERVICE_STOP_PENDING, waitHint=120_000)
            if self._runner is not None:
                self._runner.stop()
            win32event.SetEvent(self._stop_event)

        def SvcDoRun(self) -> None:  # pywin32 names these
            from ml_connector.app.service.runner import build_service_runner

            self.ReportServiceStatus(win32service.SERVICE_RUNNING)
            try:
                assert self.config_path is not None
                self._runner = build_service_runner(self.config_path, service_mode=True)
                self._runner.run()
            except Exception as exc:  # the Event Log is where an administrator looks
                servicemanager.LogErrorMsg(f"ml-connector stopped: {exc}")
                raise

    return MlConnectorService


def main(argv: list[str]) -> None:
    import servicemanager

    config = Path(argv[argv.index("--config") + 1]) if "--config" in argv else None
    service = _service_class()
    service.config_path = config
    servicemanager.Initialize()
    servicemanager.PrepareToHostSingle(service)
    servicemanager.StartServiceCtrlDispatcher()


if __name__ == "__main__":
    main(sys.argv[1:])
