"""The integration is found and loaded by Home Assistant's loader."""

from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration

from custom_components.wmbus.const import DOMAIN


async def test_integration_is_discovered(hass: HomeAssistant) -> None:
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.name == "Wireless M-Bus (iM871A)"
    assert integration.config_flow is True
    assert integration.dependencies == ["usb"]
    assert integration.after_dependencies == ["mqtt"]
    assert integration.iot_class == "local_push"
