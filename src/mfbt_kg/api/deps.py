"""What a router may ask for, as FastAPI dependencies: the service, the pages' site, the publication.

Routers never read ``request.app.state``; they declare ``service: ServiceDep`` (or
``SiteDep``, ``PublicationDep``) and FastAPI hands it over. The app puts the running
``Service`` on its state when it starts; tests swap it with ``app.dependency_overrides``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mfbt_kg.pages.factsheets import Site
from mfbt_kg.publish.bundle import Publication
from mfbt_kg.service.service import Service


def service_of(request: Request) -> Service:
    """The running service (created by the app's lifespan)."""
    service: Service = request.app.state.service
    return service


async def get_service(request: Request) -> Service:
    """``service_of`` as a dependency. Async, so it runs on the event loop: FastAPI runs a plain ``def``
    dependency in a worker thread, and /health (and every request) would then wait for a thread and
    for the GIL behind the threads rendering pages."""
    return service_of(request)


ServiceDep = Annotated[Service, Depends(get_service)]


def get_site(service: ServiceDep) -> Site:
    """The pages' view of the data being served: store, page queries, labels (one per data version)."""
    return service.site()


SiteDep = Annotated[Site, Depends(get_site)]


def get_publication(service: ServiceDep) -> Publication:
    """DCAT, VoID and the dump files of the data being served (computed once per data version,
    on first use); ``Unpublishable`` when the service does not hold the data itself."""
    return service.publication()


PublicationDep = Annotated[Publication, Depends(get_publication)]
