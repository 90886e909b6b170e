app_name = "nps"

# Each part adds its pages here: the public answer pages under /nps/a/, staff pages under
# /nps/ (surveys, invitations, reports, advocates).
urlpatterns: list = []
