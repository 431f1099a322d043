"""A small Python module, so that the workspace has three languages."""

from abc import ABC, abstractmethod


class Exporter(ABC):
    @abstractmethod
    def export(self, rows: list[dict]) -> str: ...


class CsvExporter(Exporter):
    def export(self, rows: list[dict]) -> str:
        return "\n".join(",".join(str(v) for v in row.values()) for row in rows)
