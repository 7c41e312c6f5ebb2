from . import marketplace_sync_preview
from . import marketplace_delivery_confirm
