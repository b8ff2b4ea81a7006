"""Handing the data on: the export bundle, DCAT-AP-NO and VoID, upload to a remote store."""
