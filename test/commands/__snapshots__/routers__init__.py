"""The one place every router is registered: main.py includes `api_router` and nothing else."""

from fastapi import APIRouter

from my_api.routers.health import router as health_router
from my_api.routers.orders import router as orders_router
from my_api.routers.users import router as users_router

api_router = APIRouter()
api_router.include_router(health_router)
api_router.include_router(users_router)
api_router.include_router(orders_router)
