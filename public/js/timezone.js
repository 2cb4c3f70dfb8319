// Sign-up and login: tell the server the browser's time zone (a hidden field), so times are shown in it.
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
for (const input of document.querySelectorAll('input[name="time_zone"]')) if (!input.value && zone) input.value = zone;
