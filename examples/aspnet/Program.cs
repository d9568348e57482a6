// The original recipe's app: an ASP.NET Core empty web app. gitpaas runs it from each revision
// with ASPNETCORE_URLS bound to the private $PORT it gives the new process; ASP.NET Core stops
// gracefully on SIGTERM (in-flight requests finish) by itself.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

var revision = Environment.GetEnvironmentVariable("GITPAAS_REVISION") ?? "local";
var message = "Hello from ASP.NET Core";

app.MapGet("/", () => Results.Json(new { revision, message }));
app.MapGet("/healthz", () => "ok");

app.Lifetime.ApplicationStopping.Register(() => Console.WriteLine("SIGTERM: finishing in-flight requests"));
app.Run();
